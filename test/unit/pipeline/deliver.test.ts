/** To-xmpp jobs -> the XMPP outlet (src/core/pipeline/deliver.ts) over in-memory ports. */
import { describe, expect, it } from "vitest";
import { smsCapabilities } from "../../../adapters/sms-kit/index.js";
import { deliverer } from "../../../src/core/pipeline/deliver.js";
import { rulesFor } from "../../../src/core/pipeline/network-rules.js";
import { PermanentFailure } from "../../../src/core/ports.js";
import { MemoryContacts, MemoryOutlet } from "../../harness/memory-ports.js";
import { MemoryRegistrationStore } from "../../harness/memory-registrations.js";
import { silentLogger } from "../../harness/silent-logger.js";

async function rig() {
  const registrations = new MemoryRegistrationStore();
  await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
  const outlet = new MemoryOutlet();
  const outcomes: string[] = [];
  const deliver = deliverer({
    gatewayId: "sms",
    adapter: { formatAddress: (a) => a },
    network: rulesFor(smsCapabilities()),
    registrations,
    contacts: new MemoryContacts(),
    outlet,
    logger: silentLogger,
    onInbound: (o) => outcomes.push(o),
  });
  return { deliver, outlet, outcomes };
}

const text = (to = "+15550001111") => ({
  kind: "message",
  providerMessageId: "SM1",
  from: "+15557654321",
  to,
  body: "hi",
  mediaUrls: [],
});

describe("delivering to XMPP", () => {
  it("gives a text to the number's owner, with the contact's nickname the first time only", async () => {
    const r = await rig();
    await r.deliver("m-1", text());
    await r.deliver("m-2", text());
    expect(r.outlet.written).toEqual([
      {
        kind: "message",
        d: {
          to: "alice@example.org",
          contactLocalpart: "+15557654321",
          id: "m-1",
          body: "hi",
          mediaUrls: [],
          nick: "+1 555 765 4321",
        },
      },
      {
        kind: "message",
        d: {
          to: "alice@example.org",
          contactLocalpart: "+15557654321",
          id: "m-2",
          body: "hi",
          mediaUrls: [],
        },
      },
    ]);
    expect(r.outcomes).toEqual(["delivered", "delivered"]);
  });

  it("delivers the subject, and the network's name for the sender as the nick", async () => {
    const r = await rig();
    await r.deliver("m-1", { ...text(), subject: "Lunch", senderName: "Bob B" });
    await r.deliver("m-2", { ...text(), subject: "Again", senderName: "Bob B" });
    expect(r.outlet.written.map((w) => w.d)).toMatchObject([
      { subject: "Lunch", nick: "Bob B" },
      { subject: "Again" },
    ]);
    expect(r.outlet.written[1]?.d).not.toHaveProperty("nick");
  });

  it("fails a text to a number nobody owns for good (kept for the operator)", async () => {
    const r = await rig();
    await expect(r.deliver("m-3", text("+15559999999"))).rejects.toThrow(PermanentFailure);
    await expect(r.deliver("m-3", text("+15559999999"))).rejects.toThrow(/no user owns \+15559999999/);
    expect(r.outcomes).toEqual(["unroutable", "unroutable"]);
  });

  it("writes receipts and errors about the user's own messages", async () => {
    const r = await rig();
    await r.deliver("r-o-1", {
      kind: "receipt",
      to: "alice@example.org/phone",
      contactLocalpart: "+15557654321",
      stanzaId: "s1",
    });
    await r.deliver("e-o-1", {
      kind: "error",
      to: "alice@example.org/phone",
      contactLocalpart: "+15557654321",
      contactResource: "work",
      stanzaId: "s2",
      condition: "recipient-unavailable",
      text: "not delivered",
    });
    expect(r.outlet.written).toEqual([
      {
        kind: "receipt",
        d: { to: "alice@example.org/phone", contactLocalpart: "+15557654321", id: "r-o-1", receivedId: "s1" },
      },
      {
        kind: "error",
        d: {
          to: "alice@example.org/phone",
          contactLocalpart: "+15557654321",
          contactResource: "work",
          id: "s2",
          condition: "recipient-unavailable",
          text: "not delivered",
        },
      },
    ]);
  });

  it("fails a malformed job for good", async () => {
    const r = await rig();
    await expect(r.deliver("x", { kind: "message" })).rejects.toThrow(/malformed job/);
  });

  it("delivers a job a newer version wrote with a field unknown here (rolling upgrade), not a wrong-typed one", async () => {
    const r = await rig();
    await r.deliver("m-new", { ...text(), threadHint: { id: "t1" } });
    expect(r.outlet.written).toMatchObject([{ kind: "message", d: { id: "m-new", body: "hi" } }]);
    const wrong = r.deliver("m-bad", { ...text(), threadHint: "t1", subject: 7 });
    await expect(wrong).rejects.toThrow(PermanentFailure);
    await expect(wrong).rejects.toThrow(/malformed job.*subject/s);
    expect(r.outlet.written).toHaveLength(1);
  });
});
