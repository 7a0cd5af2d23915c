/**
 * XmppTransport against a real Prosody. holdIncoming: while held, stanzas stay with the server
 * (TCP pushes back) and unanswered pings do not drop the link; once released, every stanza
 * arrives. Writes: the stanzas of one turn leave in one socket write, with one ping behind them.
 */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../../src/core/logger.js";
import { XmppTransport } from "../../src/xmpp/transport.js";
import { countWrites, inCallbacksOfOneTurn } from "../harness/socket-writes.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const DOMAIN = "hold.localhost";
const SECRET = "hold-secret";

const lines: string[] = [];
const logger: Logger = {
  trace: () => {},
  debug: (...a: unknown[]) => void lines.push(String(a[a.length - 1])),
  info: (...a: unknown[]) => void lines.push(String(a[a.length - 1])),
  warn: (...a: unknown[]) => void lines.push(String(a[a.length - 1])),
  error: (...a: unknown[]) => void lines.push(String(a[a.length - 1])),
  fatal: (...a: unknown[]) => void lines.push(String(a[a.length - 1])),
  child: () => logger,
};

describe("holding incoming stanzas (Prosody)", () => {
  let server: XmppServer;
  let transport: XmppTransport;
  let alice: TestClient;
  const got: string[] = [];
  let offline = 0;

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: DOMAIN, secret: SECRET }] });
    await server.register("hold-alice", "pw");
    transport = new XmppTransport(
      {
        service: server.componentService,
        domain: DOMAIN,
        secret: SECRET,
        pingIntervalMs: 200,
        pingTimeoutMs: 100,
        reconnectInitialDelayMs: 100,
        reconnectMaxDelayMs: 1000,
      },
      logger,
    );
    transport.on("stanza", (el) => {
      if (el.name === "message") got.push(el.getChildText("body") ?? "");
    });
    transport.on("offline", () => offline++);
    const online = new Promise<void>((resolve) => transport.once("online", () => resolve()));
    transport.start();
    await online;
    alice = await connectClient({ server, username: "hold-alice", password: "pw" });
  });

  afterAll(async () => {
    await alice?.stop();
    await transport?.stop();
    await server?.stop();
  });

  it("keeps stanzas at the server while held and the link up, and reads them all after", async () => {
    transport.holdIncoming(true);
    for (let i = 0; i < 5; i++) await alice.sendMessage(`x@${DOMAIN}`, `held ${i}`);
    // The server answers Alice's ping after routing her messages (a c2s stream is handled in order).
    const pong = await alice.iq(
      xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    expect(pong.attrs.type).toBe("result");
    // Two unanswered pings of our own go by without a verdict on the link.
    await waitFor(() => lines.filter((l) => l.includes("not judging the link")).length >= 2, {
      timeoutMs: 5_000,
      description: "two pings while held",
    });
    expect(got).toEqual([]);
    expect(offline).toBe(0);
    expect(transport.online).toBe(true);

    transport.holdIncoming(false);
    await waitFor(() => got.length === 5, { timeoutMs: 5_000, description: "the held stanzas" });
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => `held ${i}`));
    expect(offline).toBe(0);
  });

  it("writes the stanzas of several callbacks of one turn in one socket write, confirmed by one ping", async () => {
    const arrived = alice.waitForCount(
      (el) => el.name === "message" && (el.getChildText("body") ?? "").startsWith("turn "),
      3,
      5_000,
    );
    const socket = (transport as unknown as { xmpp: { socket: Socket } }).xmpp.socket;
    const writes = countWrites(socket);
    await inCallbacksOfOneTurn(3, (i) =>
      transport.sendConfirmed(
        xml("message", { to: "hold-alice@localhost", type: "chat" }, xml("body", {}, `turn ${i}`)),
      ),
    );
    // The three stanzas and the ping behind them: one write. (The keepalive's ping, every 200 ms
    // here, may leave in a write of its own while this waits for the answer: not counted.)
    const ours = writes.texts.filter((t) => t.includes("turn "));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(
      /turn 0.*turn 1.*turn 2.*<iq [^>]*type="get"[^>]*>\s*<ping xmlns="urn:xmpp:ping"/s,
    );
    expect((await arrived).map((el) => el.getChildText("body"))).toEqual(["turn 0", "turn 1", "turn 2"]);
  });
});
