/**
 * The conformance suite: the same checks for every adapter in adapters.ts, each against its own
 * stand-in, through the real gateway, real Redis, a real Prosody and a real XMPP client. One
 * gateway per adapter for the whole suite. A new adapter passes it by adding its descriptor to
 * the list (see adapters/README.md, "Tests").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressError } from "../../src/core/errors.js";
import { conditionOf, errorOf, errorText, isReceipt, oobUrl } from "../harness/stanza-match.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, randomId, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";
import { CONFORMANCE_ADAPTERS } from "./adapters.js";
import type { ConformanceAdapter, SentMessage } from "./descriptor.js";
import {
  COMPONENT_SECRET,
  domainOf,
  NS_REGISTER,
  passwordOf,
  type Rig,
  registerIq,
  startRig,
  usersOf,
} from "./rig.js";

const NS_DISCO = "http://jabber.org/protocol/disco#info";
const NS_GATEWAY = "jabber:iq:gateway";
const WAIT = 15_000;

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

const bareOf = (jid: string | undefined) => jid?.split("/")[0];

describe.each(CONFORMANCE_ADAPTERS)("adapter $name", (d: ConformanceAdapter) => {
  describe.skipIf(!d.available())("conformance", () => {
    let rig: Rig;

    beforeAll(async () => {
      rig = await startRig(d, server);
    }, 120_000);

    afterAll(async () => {
      await rig?.stop();
    }, 60_000);

    /** The owner writes `body` to `to` (a network address); resolves with the stanza id. */
    const send = (to: string, body: string, ...children: Element[]) => {
      const id = randomId(d.name);
      return rig.owner
        .send(xml("message", { type: "chat", to: rig.jidOf(to), id }, xml("body", {}, body), ...children))
        .then(() => id);
    };
    const attemptsWith = (body: string) => rig.standIn.attempts().filter((a) => a.body === body);
    const sentWith = (body: string, count = 1): Promise<SentMessage[]> =>
      waitFor(() => (attemptsWith(body).length >= count ? attemptsWith(body) : undefined), {
        timeoutMs: WAIT,
        description: `${count} send(s) of "${body}" at the ${d.name} stand-in`,
      });
    const fromContact = (contact: string, body: string) => (el: Element) =>
      el.is("message") && bareOf(el.attrs.from) === rig.jidOf(contact) && el.getChildText("body") === body;
    /** An inbound text that arrives after everything posted before it has been handled. */
    const marker = async (contact: string) => {
      const body = randomId("marker");
      const p = { id: rig.standIn.newId(), from: contact, to: rig.standIn.owner.address, body };
      expect(await rig.standIn.postInbound(rig.target, p)).toBe(200);
      await rig.owner.waitFor(fromContact(contact, body), WAIT);
    };

    it("declares exactly the checks it leaves out, as its adapter's capabilities say", () => {
      const s = rig.standIn;
      expect({
        media: rig.adapter.capabilities.media,
        webhooks: (rig.adapter.webhooks?.length ?? 0) > 0 && s.postUnsigned !== undefined,
        registration: rig.adapter.registration !== undefined && s.registration !== undefined,
        retryable: s.retryableError !== undefined,
      }).toEqual({
        media: d.notApplicable.media === undefined,
        webhooks: d.notApplicable.webhooks === undefined,
        registration: d.notApplicable.registration === undefined,
        retryable: d.notApplicable.retryable === undefined,
      });
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

    it("shows its face: disco identities, and the XEP-0100 prompt and description", async () => {
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

    it("turns a delivery report into a XEP-0184 receipt", async () => {
      const body = randomId("receipt");
      const id = await send(rig.standIn.contact(), body, xml("request", { xmlns: "urn:xmpp:receipts" }));
      const [sent] = await sentWith(body);
      if (!sent) throw new Error("not sent");
      await rig.standIn.reportDelivered(rig.target, sent);
      const receipt = await rig.owner.waitFor(isReceipt(id), WAIT);
      expect(receipt.attrs.type).not.toBe("error");
    });

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

    if (d.notApplicable.media === undefined) {
      it("sends media as media", async () => {
        const url = `https://upload.example.net/${randomId("f")}/photo.jpg`;
        const body = randomId("media");
        await send(rig.standIn.contact(), body, xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url)));
        const [sent] = await sentWith(body);
        expect(sent?.mediaUrls).toEqual([url]);
      });

      it("delivers inbound media as OOB", async () => {
        const contact = rig.standIn.contact();
        const url = `https://media.example.net/${randomId("m")}.jpg`;
        const p = {
          id: rig.standIn.newId(),
          from: contact,
          to: rig.standIn.owner.address,
          body: "a picture",
          mediaUrls: [url],
        };
        expect(await rig.standIn.postInbound(rig.target, p)).toBe(200);
        const el = await rig.owner.waitFor(
          (e) => bareOf(e.attrs.from) === rig.jidOf(contact) && oobUrl(e) === url,
          WAIT,
        );
        expect(el.attrs.type).toBe("chat");
      });
    }

    if (d.notApplicable.registration === undefined) {
      it("checks a registration with the provider: its form, bad credentials refused unechoed, good ones accepted", async () => {
        const reg = rig.standIn.registration;
        if (!reg) throw new Error("no registration hooks");
        const user = usersOf(d).registrant;
        const client = await connectClient({ server, username: user, password: passwordOf(user) });
        try {
          const fields = rig.adapter.registration?.fields ?? [];
          const query = xml("query", { xmlns: NS_REGISTER });
          const form = await client.iq(xml("iq", { type: "get", to: rig.domain }, query));
          const shown = form
            .getChild("query", NS_REGISTER)
            ?.getChild("x", "jabber:x:data")
            ?.getChildren("field");
          const asked = shown?.filter((f) => f.attrs.var !== "FORM_TYPE");
          expect(asked?.map((f) => [f.attrs.var, f.attrs.type])).toEqual(
            fields.map((f) => [f.name, f.kind === "secret" ? "text-private" : "text-single"]),
          );
          const badValues = reg.bad();
          const bad = await client.iq(registerIq(rig.domain, badValues));
          expect(bad.attrs.type).toBe("error");
          expect(conditionOf(bad)).toBe(reg.badCondition);
          for (const f of fields.filter((x) => x.kind === "secret")) {
            expect(bad.toString()).not.toContain(badValues[f.name]);
          }
          const good = await client.iq(registerIq(rig.domain, reg.good()));
          expect(good.attrs.type, good.toString()).toBe("result");
          const after = await client.iq(xml("iq", { type: "get", to: rig.domain }, query));
          expect(after.getChild("query", NS_REGISTER)?.getChild("registered")).toBeDefined();
        } finally {
          await client.stop();
        }
      });
    }

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
