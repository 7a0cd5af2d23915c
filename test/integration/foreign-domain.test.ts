/**
 * ejabberd routes every host of one ejabberd_service listener to each component connected to it.
 * The gateway must not act on another component's traffic: a message to +1...@other.localhost
 * that ejabberd hands to the gateway is ignored (with one warning), never sent as an SMS.
 */
import { type Element as ComponentElement, component } from "@xmpp/component";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { connectClient, type TestClient } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

describe("traffic for another component on the same ejabberd listener", () => {
  let server: XmppServer;
  let gw: TestGateway;
  let alice: TestClient;
  let other: ReturnType<typeof component>;
  const otherGot: ComponentElement[] = [];

  beforeAll(async () => {
    server = await startXmppServer("ejabberd", {
      components: [
        { domain: "sms.localhost", secret: "sms-secret-1" },
        { domain: "other.localhost", secret: "other-secret-2" },
      ],
    });
    await server.register("fd-alice", "pw");
    gw = await startTestGateway({
      config: {
        xmpp: { service: server.componentService },
        allowedDomains: ["localhost"],
        gateways: [
          {
            id: "sms",
            domain: "sms.localhost",
            secret: "sms-secret-1",
            adapter: "simulator",
            simulator: { replyDelayMs: 10 },
            users: [{ jid: "fd-alice@localhost", number: "+15550001111" }],
          },
        ],
      },
    });
    await gw.online();
    other = component({
      service: server.componentService,
      domain: "other.localhost",
      password: "other-secret-2",
    });
    other.on("error", () => {});
    other.on("stanza", (el) => {
      if (el.name === "message") otherGot.push(el);
    });
    await other.start();
    alice = await connectClient({ server, username: "fd-alice", password: "pw" });
  });

  afterAll(async () => {
    await alice?.stop();
    await other?.stop();
    await gw?.stop();
    await server?.stop();
  });

  it("ignores it with one warning and sends nothing", async () => {
    const bodies = Array.from({ length: 16 }, (_, i) => `for the other component ${i}`);
    for (const b of bodies) await alice.sendMessage("+15551234567@other.localhost", b);
    // ejabberd splits sms.localhost's traffic too: send markers to the gateway until one is echoed
    // by the simulator. A connection's stanzas arrive in order, so by then the gateway has handled
    // every foreign message ejabberd gave it.
    let echoed = false;
    for (let i = 0; i < 20 && !echoed; i++) {
      await alice.sendMessage("+15551234567@sms.localhost", `marker ${i}`);
      echoed = await alice
        .waitFor((el) => el.getChildText("body") === `echo: marker ${i}`, 3000)
        .then(() => true)
        .catch(() => false);
    }
    expect(echoed).toBe(true);
    const reachedOther = otherGot.filter((el) => /^for the other/.test(el.getChildText("body") ?? "")).length;
    // None became an SMS (the simulator would have echoed it) or an error.
    expect(alice.received.filter((el) => /^echo: for the other/.test(el.getChildText("body") ?? ""))).toEqual(
      [],
    );
    expect(alice.received.filter((el) => el.attrs.type === "error")).toEqual([]);
    // ejabberd did hand some to the gateway (else this test shows nothing).
    expect(bodies.length - reachedOther).toBeGreaterThan(0);
    expect(countWarned()).toBe(1);
  });

  function countWarned(): number {
    return gw.logLines.filter((l) => l.includes("stanzas for other.localhost; they are ignored")).length;
  }
});
