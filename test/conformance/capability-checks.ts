/**
 * The conformance checks a network's capabilities decide: receipts (a network whose reports never
 * say "delivered" must claim no receipt), media each way (sending media apart from receiving it),
 * and bring-your-own registration. Which ones run is the descriptor's `notApplicable`, and the
 * suite's first check holds it to the adapter's capabilities, never to the adapter's name.
 */
import { expect, it } from "vitest";
import type { Capabilities } from "../../src/core/adapter.js";
import { conditionOf, isReceipt, oobUrl } from "../harness/stanza-match.js";
import { connectClient, randomId, xml } from "../harness/xmpp-client.js";
import type { XmppServer } from "../harness/xmpp-server.js";
import type { OptionalCheck } from "./descriptor.js";
import { NS_REGISTER, passwordOf, registerIq, usersOf } from "./rig.js";
import { bareOf, type Suite, WAIT } from "./suite.js";

/** Which capability-driven checks apply, as the adapter's capabilities say. */
export function capabilityChecks(caps: Capabilities): Partial<Record<OptionalCheck, boolean>> {
  return {
    media: caps.media,
    inboundMedia: caps.inboundMedia ?? caps.media,
    receipts: caps.deliveryReceipts ?? caps.deliveryReports,
  };
}

const RECEIPT_REQUEST = () => xml("request", { xmlns: "urn:xmpp:receipts" });

export function receiptChecks(s: Suite): void {
  if (s.d.notApplicable.receipts === undefined) {
    it("turns a delivery report into a XEP-0184 receipt", async () => {
      const body = randomId("receipt");
      const id = await s.send(s.rig().standIn.contact(), body, RECEIPT_REQUEST());
      const [sent] = await s.sentWith(body);
      if (!sent) throw new Error("not sent");
      await s.rig().standIn.reportDelivered(s.rig().target, sent);
      const receipt = await s.rig().owner.waitFor(isReceipt(id), WAIT);
      expect(receipt.attrs.type).not.toBe("error");
    });
  } else {
    it("claims no XEP-0184 receipt: its reports never say delivered", async () => {
      const contact = s.rig().standIn.contact();
      const body = randomId("no-receipt");
      const id = await s.send(contact, body, RECEIPT_REQUEST());
      const [sent] = await s.sentWith(body);
      if (!sent) throw new Error("not sent");
      await s.rig().standIn.reportDelivered(s.rig().target, sent);
      // A receipt would have been queued before an inbound text posted after the report arrives.
      await s.marker(contact);
      expect(s.rig().owner.received.filter(isReceipt(id))).toEqual([]);
    });
  }
}

export function mediaChecks(s: Suite): void {
  if (s.d.notApplicable.media === undefined) {
    it("sends media as media", async () => {
      const url = `https://upload.example.net/${randomId("f")}/photo.jpg`;
      const body = randomId("media");
      await s.send(s.rig().standIn.contact(), body, xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url)));
      const [sent] = await s.sentWith(body);
      expect(sent?.mediaUrls).toEqual([url]);
    });
  }
  if (s.d.notApplicable.inboundMedia === undefined) {
    it("delivers inbound media as OOB", async () => {
      const r = s.rig();
      const contact = r.standIn.contact();
      const url = `https://media.example.net/${randomId("m")}.jpg`;
      const p = { id: r.standIn.newId(), from: contact, to: r.standIn.owner.address, body: "a picture" };
      expect(await r.standIn.postInbound(r.target, { ...p, mediaUrls: [url] })).toBe(200);
      const el = await r.owner.waitFor(
        (e) => bareOf(e.attrs.from) === r.jidOf(contact) && oobUrl(e) === url,
        WAIT,
      );
      expect(el.attrs.type).toBe("chat");
    });
  }
}

export function registrationCheck(s: Suite, server: () => XmppServer): void {
  if (s.d.notApplicable.registration === undefined) {
    it("checks a registration with the provider: its form, bad credentials refused unechoed, good ones accepted", async () => {
      const rig = s.rig();
      const reg = rig.standIn.registration;
      if (!reg) throw new Error("no registration hooks");
      const user = usersOf(s.d).registrant;
      const client = await connectClient({ server: server(), username: user, password: passwordOf(user) });
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
}
