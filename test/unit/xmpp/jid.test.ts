import { parse } from "@xmpp/jid";
import { describe, expect, it } from "vitest";
import { jidDomain, parseJid } from "../../../src/xmpp/jid.js";
import { addressedTo } from "../../../src/xmpp/transport-util.js";

const SAMPLES = [
  "+15551234567@sms.example.org",
  "+15551234567@SMS.Example.ORG/phone",
  "alice@example.org/res/with/slashes",
  "alice@example.org/res@with@ats",
  "sms.example.org",
  "SMS.example.org/x",
  "a b@sms.example.org",
  "a@b@sms.example.org",
  "@sms.example.org",
  "user@",
  "/only-resource",
  "",
  `${"x".repeat(3000)}@sms.example.org`,
];

describe("JIDs", () => {
  it("jidDomain gives the domain parseJid gives, for JIDs parseJid accepts", () => {
    for (const jid of SAMPLES) {
      const parts = parseJid(jid);
      if (parts) expect(jidDomain(jid), jid).toBe(parts.domain);
    }
    expect(jidDomain("a@b@sms.example.org")).toBeUndefined();
    expect(jidDomain("user@")).toBeUndefined();
    expect(jidDomain("")).toBeUndefined();
    expect(addressedTo("+1555@SMS.example.org/r", "sms.Example.org")).toBe(true);
    expect(addressedTo("+1555@other.example.org", "sms.example.org")).toBe(false);
    expect(addressedTo("sms.example.org@other.example.org", "sms.example.org")).toBe(false);
  });

  it("parseJid gives @xmpp/jid's parts, the same again for a full JID seen before, beyond its memory too", () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) {
        const jid = `User${i}@Example.org/res-${i % 7}`;
        const ours = parseJid(jid);
        const theirs = parse(jid);
        expect(ours).toEqual({ local: theirs.local, domain: theirs.domain, resource: theirs.resource });
      }
    }
    expect(parseJid("a@b@c/r")).toBeUndefined();
    expect(parseJid("a@b@c/r")).toBeUndefined();
    expect(Object.isFrozen(parseJid("alice@example.org/r"))).toBe(true);
  });
});
