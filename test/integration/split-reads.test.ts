/**
 * A multi-byte character the network cut between two reads reaches the gateway whole. The XMPP
 * library decodes each socket read on its own (`data.toString("utf8")`), which turns each piece of
 * a cut character into U+FFFD; the transport decodes the stream as one (socket.setEncoding).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XmppTransport } from "../../src/xmpp/transport.js";
import { silentLogger } from "../harness/silent-logger.js";
import { startTcpProxy, type TcpProxy } from "../harness/tcp-proxy.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type TestClient } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const DOMAIN = "split.localhost";
const SECRET = "split-secret";
const TEXT = "héllo wörld 👋🏽 ünïcödé ✓ 日本語 🇫🇷";

describe("reads that cut a character in two (Prosody)", () => {
  let server: XmppServer;
  let proxy: TcpProxy;
  let transport: XmppTransport;
  let alice: TestClient;
  const got: string[] = [];

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: DOMAIN, secret: SECRET }] });
    await server.register("split-alice", "pw");
    proxy = await startTcpProxy(server.componentPort);
    transport = new XmppTransport(
      {
        service: `xmpp://127.0.0.1:${proxy.port}`,
        domain: DOMAIN,
        secret: SECRET,
        pingIntervalMs: 30_000,
        pingTimeoutMs: 10_000,
        reconnectInitialDelayMs: 100,
        reconnectMaxDelayMs: 1000,
      },
      silentLogger,
    );
    transport.on("stanza", (el) => {
      if (el.name === "message") got.push(el.getChildText("body") ?? "");
    });
    const online = new Promise<void>((resolve) => transport.once("online", () => resolve()));
    transport.start();
    await online;
    alice = await connectClient({ server, username: "split-alice", password: "pw" });
  });

  afterAll(async () => {
    await alice?.stop();
    await transport?.stop();
    await proxy?.close();
    await server?.stop();
  });

  it("gets the text intact when every byte arrives in a read of its own", async () => {
    proxy.fragmentDownstream();
    await alice.sendMessage(`+15557654321@${DOMAIN}`, TEXT);
    await waitFor(() => got.length === 1, { timeoutMs: 10_000, description: "the message" });
    expect(got[0]).toBe(TEXT);
  });
});
