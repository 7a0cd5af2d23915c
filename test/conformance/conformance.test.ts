/**
 * The conformance suite: the same checks for every adapter in adapters.ts, each against its own
 * stand-in, through the real gateway, real Redis, a real Prosody and a real XMPP client. One
 * gateway per adapter for the whole suite. A new adapter passes it by adding its descriptor to
 * the list (see adapters/README.md, "Tests").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressError } from "../../src/core/errors.js";
import { conditionOf, errorOf, errorText } from "../harness/stanza-match.js";
import { randomId, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";
import { CONFORMANCE_ADAPTERS } from "./adapters.js";
import { capabilityChecks, mediaChecks, receiptChecks, registrationCheck } from "./capability-checks.js";
import type { ConformanceAdapter, OptionalCheck } from "./descriptor.js";
import { COMPONENT_SECRET, domainOf, passwordOf, type Rig, startRig, usersOf } from "./rig.js";
import { bareOf, suiteOf, WAIT } from "./suite.js";

const NS_DISCO = "http://jabber.org/protocol/disco#info";
const NS_GATEWAY = "jabber:iq:gateway";

let server: XmppServer;

beforeAll(async () => {
  server = await startXmppServer("prosody", {
    components: CONFORMANCE_ADAPTERS.map((d) => ({ domain: domainOf(d), secret: COMPONENT_SECRET })),
  });
  await server.registerMany(
    CONFORMANCE_ADAPTERS.flatMap((d) => Object.values(usersOf(d))).map((user) => ({
      user,
      password: passwordOf(user),
    })),
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

describe.each(CONFORMANCE_ADAPTERS)("adapter $name", (d: ConformanceAdapter) => {
  describe.skipIf(!d.available())("conformance", () => {
    let rig: Rig;

    beforeAll(async () => {
      rig = await startRig(d, server);
    }, 120_000);

    afterAll(async () => {
      await rig?.stop();
    }, 60_000);

    const suite = suiteOf(d, () => rig);
    const { send, attemptsWith, sentWith, fromContact, marker } = suite;

    it("declares exactly the checks it leaves out, as its adapter's capabilities say", () => {
      const s = rig.standIn;
      const runs = {
        ...capabilityChecks(rig.adapter.capabilities),
        webhooks: (rig.adapter.webhooks?.length ?? 0) > 0 && s.postUnsigned !== undefined,
        registration: rig.adapter.registration !== undefined && s.registration !== undefined,
        retryable: s.retryableError !== undefined,
      };
      const declared = Object.fromEntries(
        Object.keys(runs).map((check) => [check, d.notApplicable[check as OptionalCheck] === undefined]),
      );
      expect(runs).toEqual(declared);
    });

    it("round-trips addresses between JID localparts and the network", async () => {
      for (const [localpart, address] of rig.standIn.addresses.valid) {
        expect(rig.adapter.parseAddress(localpart)).toBe(address);
        expect(rig.adapter.formatAddress(address)).toBe(localpart);
        expect(rig.adapter.parseAddress(rig.adapter.formatAddress(address))).toBe(address);
      }
      for (const bad of rig.standIn.addresses.invalid) {
        expect(() => rig.adapter.parseAddress(bad), bad).toThrow(AddressError);
        const id = await rig.owner.sendMessage(`${bad}@${rig.domain}`, "to nowhere");
        const err = await rig.owner.waitFor(errorOf(id), WAIT);
        expect(conditionOf(err)).toBe("jid-malformed");
      }
    });

    it("shows its face: disco identities and features, and the XEP-0100 prompt and description", async () => {
      const face = rig.adapter.face;
      const query = async (to: string, xmlns: string) =>
        (await rig.owner.iq(xml("iq", { type: "get", to }, xml("query", { xmlns })))).getChild(
          "query",
          xmlns,
        );
      const identity = async (to: string) => (await query(to, NS_DISCO))?.getChild("identity")?.attrs;
      expect(await identity(rig.domain)).toMatchObject({ category: "gateway", type: face.identityType });
      expect(await identity(rig.jidOf(rig.standIn.contact()))).toMatchObject(face.contactIdentity);
      const gateway = await query(rig.domain, NS_GATEWAY);
      expect(gateway?.getChildText("prompt")).toBe(face.addressLabel);
      expect(gateway?.getChildText("desc")).toBe(face.addressDescription);
      // XEP-0106: a network of escaped addresses says so, one of plain localparts does not.
      const features = (await query(rig.domain, NS_DISCO))?.getChildren("feature").map((f) => f.attrs.var);
      expect(features?.includes("jid\\20escaping")).toBe(face.escapedAddresses === true);
    });

    it("turns an address a person types into its JID (XEP-0100)", async () => {
      for (const [localpart, address] of rig.standIn.addresses.valid) {
        const set = xml("query", { xmlns: NS_GATEWAY }, xml("prompt", {}, address));
        const answer = await rig.owner.iq(xml("iq", { type: "set", to: rig.domain }, set));
        expect(answer.getChild("query", NS_GATEWAY)?.getChildText("jid")).toBe(`${localpart}@${rig.domain}`);
      }
    });

    it("sends a message: the network gets it from the owner's address and accepts it", async () => {
      const contact = rig.standIn.contact();
      const body = randomId("hello");
      await send(contact, body);
      const [sent] = await sentWith(body);
      expect(sent).toMatchObject({ to: contact, from: rig.standIn.owner.address });
      expect(sent?.providerId).not.toBe("");
    });

    it("answers a permanent error with an error stanza naming the provider's reason, asked once", async () => {
      const { to, reason } = rig.standIn.permanentError();
      const body = randomId("permanent");
      const id = await send(to, body);
      const err = await rig.owner.waitFor(errorOf(id), WAIT);
      expect(bareOf(err.attrs.from)).toBe(rig.jidOf(to));
      expect(errorText(err)).toMatch(reason);
      // The error is sent once the job has failed for good: no attempt can follow it.
      expect(attemptsWith(body)).toHaveLength(1);
    });

    if (d.notApplicable.retryable === undefined) {
      it("retries a retryable error, honouring Retry-After, then sends", async () => {
        rig.standIn.retryableError?.(1);
        const body = randomId("retry");
        const id = await send(rig.standIn.contact(), body);
        const [first, second] = await sentWith(body, 2);
        expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
        expect(second?.providerId).not.toBe("");
        expect(rig.owner.received.filter(errorOf(id))).toEqual([]);
      });
    }

    it("delivers an inbound message to the owner", async () => {
      const contact = rig.standIn.contact();
      const body = randomId("inbound");
      const p = { id: rig.standIn.newId(), from: contact, to: rig.standIn.owner.address, body };
      expect(await rig.standIn.postInbound(rig.target, p)).toBe(200);
      const msg = await rig.owner.waitFor(fromContact(contact, body), WAIT);
      expect(bareOf(msg.attrs.to)).toBe(rig.owner.bareJid);
    });

    it("delivers the same provider id once, however often it arrives", async () => {
      const contact = rig.standIn.contact();
      const body = randomId("dup");
      const p = { id: rig.standIn.newId(), from: contact, to: rig.standIn.owner.address, body };
      const statuses = await Promise.all([1, 2, 3].map(() => rig.standIn.postInbound(rig.target, p)));
      expect(statuses).toEqual([200, 200, 200]);
      expect(await rig.standIn.postInbound(rig.target, p)).toBe(200);
      await marker(contact);
      expect(rig.owner.received.filter(fromContact(contact, body))).toHaveLength(1);
    });

    if (d.notApplicable.webhooks === undefined) {
      it("refuses a forged or missing signature with 403 and delivers nothing", async () => {
        const contact = rig.standIn.contact();
        const body = randomId("forged");
        const p = { id: rig.standIn.newId(), from: contact, to: rig.standIn.owner.address, body };
        const forged = await rig.standIn.postUnsigned?.(rig.target, p, "forged");
        const missing = await rig.standIn.postUnsigned?.(
          rig.target,
          { ...p, id: rig.standIn.newId() },
          "missing",
        );
        expect([forged, missing]).toEqual([403, 403]);
        await marker(contact);
        expect(rig.owner.received.filter(fromContact(contact, body))).toEqual([]);
      });
    }

    receiptChecks(suite);

    it("turns a failure report into an error stanza naming the reason", async () => {
      const to = rig.standIn.failure.to();
      const body = randomId("undelivered");
      const id = await send(to, body);
      const [sent] = await sentWith(body);
      if (!sent) throw new Error("not sent");
      await rig.standIn.failure.report(rig.target, sent);
      const err = await rig.owner.waitFor(errorOf(id), WAIT);
      expect(errorText(err)).toMatch(rig.standIn.failure.reason);
    });

    mediaChecks(suite);
    registrationCheck(suite, () => server);

    it("made only requests the provider would take", () => {
      expect(rig.standIn.problems?.() ?? []).toEqual([]);
    });

    it("logged none of its secrets", () => {
      const logs = rig.gw.logLines.join("");
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of rig.secrets) expect(logs).not.toContain(secret);
    });
  });
});
