/**
 * In-memory per-user state is capped (stanza level, fake transport): what the presence service
 * remembers per user and in total, and the ad-hoc command sessions a user can hold open.
 */
import { type Element, xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { SESSIONS_PER_USER } from "../../../src/xmpp/commands/handler.js";
import { PRESENCE_LIMITS } from "../../../src/xmpp/presence.js";
import { errorCondition } from "../../harness/fake-transport.js";
import { ADMIN, ALICE, DOMAIN, iq, setup, submitForm } from "./setup.js";

const contact = (i: number) => `+1555${String(i).padStart(7, "0")}@${DOMAIN}`;
const unavailableTo = (sent: Element[], bare: string) =>
  sent.filter((s) => s.name === "presence" && s.attrs.type === "unavailable" && s.attrs.to === bare);

describe("presence state is capped", () => {
  it("probing 100,000 contacts keeps what is remembered for one user under its cap (the newest)", async () => {
    const { transport, registrations, features } = setup();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    for (let i = 0; i < 100_000; i++) {
      await transport.receive(xml("presence", { type: "probe", from: "alice@example.org", to: contact(i) }));
    }
    const from = transport.sent.length;
    await features.stop();
    // On shutdown the gateway says unavailable from everything it told alice was available: what
    // it remembered. Capped out, the oldest contacts lose only that goodbye.
    const goodbyes = unavailableTo(transport.sentSince(from), "alice@example.org").map((p) => p.attrs.from);
    expect(goodbyes.length).toBeLessThanOrEqual(PRESENCE_LIMITS.contactsPerUser + 1);
    expect(goodbyes).toContain(contact(99_999));
    expect(goodbyes).toContain(DOMAIN);
    expect(goodbyes).not.toContain(contact(0));
  }, 120_000);

  it("many users probing many contacts stay under the total cap", async () => {
    const { transport, registrations, features } = setup();
    const users = Math.ceil((PRESENCE_LIMITS.total * 1.2) / PRESENCE_LIMITS.contactsPerUser);
    for (let u = 0; u < users; u++) {
      await registrations.put("sms", {
        jid: `u${u}@example.org`,
        address: `+1555100${String(u).padStart(4, "0")}`,
        source: "config",
      });
    }
    for (let u = 0; u < users; u++) {
      for (let i = 0; i < PRESENCE_LIMITS.contactsPerUser; i++) {
        await transport.receive(
          xml("presence", { type: "probe", from: `u${u}@example.org`, to: contact(i) }),
        );
      }
    }
    const from = transport.sent.length;
    await features.stop();
    const fromContacts = transport
      .sentSince(from)
      .filter((s) => s.attrs.type === "unavailable" && s.attrs.from !== DOMAIN);
    expect(fromContacts.length).toBeLessThanOrEqual(PRESENCE_LIMITS.total);
    // The last user's contacts are all remembered.
    expect(unavailableTo(transport.sentSince(from), `u${users - 1}@example.org`).length).toBe(
      PRESENCE_LIMITS.contactsPerUser + 1,
    );
  }, 120_000);

  it("remembers a capped number of a user's sessions (a forgotten one is only greeted again)", async () => {
    const { transport, registrations } = setup();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    const sessions = PRESENCE_LIMITS.sessionsPerUser * 10;
    for (let i = 0; i < sessions; i++) {
      await transport.receive(xml("presence", { from: `alice@example.org/r${i}`, to: DOMAIN }));
    }
    const greeted = () =>
      transport.sent.filter((s) => s.name === "presence" && s.attrs.to === "alice@example.org/r0");
    expect(greeted()).toHaveLength(1);
    // r0 was forgotten: its next presence is greeted again; the newest session is still known.
    await transport.receive(xml("presence", { from: "alice@example.org/r0", to: DOMAIN }));
    expect(greeted()).toHaveLength(2);
    const before = transport.sent.length;
    await transport.receive(xml("presence", { from: `alice@example.org/r${sessions - 1}`, to: DOMAIN }));
    expect(transport.sent.length).toBe(before);
  });
});

const CMD = "http://jabber.org/protocol/commands";
const execute = (node: string, from: string, extra: Record<string, string> = {}, ...children: Element[]) =>
  iq("set", DOMAIN, from, xml("command", { xmlns: CMD, node, ...extra }, ...children));

describe("ad-hoc command sessions are capped per user", () => {
  it("one user opening many sessions cannot evict an admin's, and is refused over their own cap", async () => {
    const { transport, registrations } = setup();
    const adminStart = await transport.iqReply(execute("admin-bind", ADMIN));
    const adminSession = adminStart.getChild("command", CMD)?.attrs.sessionid ?? "";
    expect(adminSession).not.toBe("");

    const answers: Element[] = [];
    for (let i = 0; i < 1_200; i++) answers.push(await transport.iqReply(execute("register", ALICE)));
    const opened = answers.filter((a) => a.attrs.type === "result");
    expect(opened).toHaveLength(SESSIONS_PER_USER);
    const refused = answers.find((a) => a.attrs.type === "error");
    expect(refused && errorCondition(refused)).toBe("resource-constraint");
    expect(refused?.getChild("error")?.getChildText("text")).toMatch(/complete or cancel/);

    // The admin's session is still there.
    const done = await transport.iqReply(
      execute(
        "admin-bind",
        ADMIN,
        { sessionid: adminSession, action: "complete" },
        submitForm({ jid: "bob@example.org", number: "+15550002222" }),
      ),
    );
    expect(done.attrs.type).toBe("result");
    expect((await registrations.byJid("sms", "bob@example.org"))?.address).toBe("+15550002222");

    // Completing one of her sessions frees a place for a new one.
    const first = opened[0]?.getChild("command", CMD)?.attrs.sessionid ?? "";
    await transport.iqReply(execute("register", ALICE, { sessionid: first, action: "cancel" }));
    expect((await transport.iqReply(execute("register", ALICE))).attrs.type).toBe("result");
  });
});
