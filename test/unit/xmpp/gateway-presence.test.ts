import { xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { errorCondition } from "../../harness/fake-transport.js";
import { ALICE, DOMAIN, iq, MALLORY, setup } from "./setup.js";

const GW = "jabber:iq:gateway";

describe("jabber:iq:gateway (XEP-0100)", () => {
  it("asks for a phone number", async () => {
    const { transport } = setup();
    const reply = await transport.iqReply(iq("get", DOMAIN, ALICE, xml("query", { xmlns: GW })));
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("query", GW)?.getChildText("prompt")).toBe("Phone number");
    expect(reply.getChild("query", GW)?.getChildText("desc")).toMatch(/phone number/);
  });

  it.each([
    ["(555) 123-4567", "+15551234567"],
    ["+44 20 7946 0958", "+442079460958"],
    ["5551234567", "+15551234567"],
    ["  +1 555 123 4567 ", "+15551234567"],
  ])("turns %j into the contact's JID", async (typed, e164) => {
    const { transport } = setup();
    const reply = await transport.iqReply(
      iq("set", DOMAIN, ALICE, xml("query", { xmlns: GW }, xml("prompt", {}, typed))),
    );
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("query", GW)?.getChildText("jid")).toBe(`${e164}@${DOMAIN}`);
  });

  it.each(["garbage", "", "+1555", "12345678901234567890123"])(
    "refuses %j with bad-request",
    async (typed) => {
      const { transport } = setup();
      const reply = await transport.iqReply(
        iq("set", DOMAIN, ALICE, xml("query", { xmlns: GW }, xml("prompt", {}, typed))),
      );
      expect(reply.attrs.type).toBe("error");
      expect(errorCondition(reply)).toBe("bad-request");
    },
  );
});

const presences = (sent: ReturnType<typeof xml>[]) =>
  sent
    .filter((s) => s.name === "presence")
    .map((p) => `${p.attrs.type ?? "available"} ${p.attrs.from} -> ${p.attrs.to}`);

describe("presence (stanza level)", () => {
  it("answers probes: available for a registered user, unavailable for anyone else", async () => {
    const { transport, registrations } = setup();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    const contact = `+15551234567@${DOMAIN}`;
    await transport.receive(xml("presence", { type: "probe", from: "alice@example.org", to: DOMAIN }));
    await transport.receive(xml("presence", { type: "probe", from: "alice@example.org", to: contact }));
    await transport.receive(xml("presence", { type: "probe", from: "bob@example.org", to: DOMAIN }));
    expect(presences(transport.sent)).toEqual([
      `available ${DOMAIN} -> alice@example.org`,
      `available ${contact} -> alice@example.org`,
      `unavailable ${DOMAIN} -> bob@example.org`,
    ]);
  });

  it("approves subscription requests to contacts and the gateway from allowed users, and refuses others", async () => {
    const { transport } = setup();
    const contact = `+15551234567@${DOMAIN}`;
    await transport.receive(xml("presence", { type: "subscribe", from: "alice@example.org", to: contact }));
    await transport.receive(xml("presence", { type: "subscribe", from: "alice@example.org", to: DOMAIN }));
    await transport.receive(
      xml("presence", { type: "subscribe", from: "mallory@evil.example", to: contact }),
    );
    expect(presences(transport.sent)).toEqual([
      `subscribed ${contact} -> alice@example.org`,
      `available ${contact} -> alice@example.org`,
      `subscribed ${DOMAIN} -> alice@example.org`,
      `available ${DOMAIN} -> alice@example.org`,
      `unsubscribed ${contact} -> mallory@evil.example`,
    ]);
  });

  it("greets a registered user's session once, and never answers presence errors", async () => {
    const { transport, registrations } = setup();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    await transport.receive(xml("presence", { from: ALICE, to: DOMAIN }));
    await transport.receive(xml("presence", { from: ALICE, to: DOMAIN }, xml("show", {}, "away")));
    await transport.receive(xml("presence", { from: "bob@example.org/x", to: DOMAIN }));
    await transport.receive(xml("presence", { type: "error", from: "alice@example.org", to: DOMAIN }));
    await transport.receive(xml("presence", { from: MALLORY, to: DOMAIN }));
    expect(presences(transport.sent)).toEqual([`available ${DOMAIN} -> ${ALICE}`]);
  });

  it("probes the registered users when the component comes online", async () => {
    const { transport, registrations } = setup();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    transport.goOffline();
    transport.goOnline();
    await expect.poll(() => presences(transport.sent)).toEqual([`probe ${DOMAIN} -> alice@example.org`]);
  });

  it("says unavailable from the gateway and every contact shown to a user when stopping", async () => {
    const { transport, registrations, features } = setup();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    await registrations.put("sms", { jid: "carol@example.org", address: "+15550003333", source: "admin" });
    const contact = `+15551234567@${DOMAIN}`;
    await transport.receive(xml("presence", { type: "subscribe", from: "alice@example.org", to: contact }));
    const from = transport.sent.length;
    await features.stop();
    expect(presences(transport.sentSince(from)).sort()).toEqual(
      [
        `unavailable ${contact} -> alice@example.org`,
        `unavailable ${DOMAIN} -> alice@example.org`,
        `unavailable ${DOMAIN} -> carol@example.org`,
      ].sort(),
    );
  });
});
