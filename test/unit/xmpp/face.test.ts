/**
 * The XMPP face comes from the adapter: a network that is not SMS shows its own gateway type,
 * contact identity, XEP-0100 prompt and description, and registration field and command names.
 */
import { xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import type { NetworkAdapter, NetworkFace } from "../../../src/core/adapter.js";
import { escapeLocalpart, unescapeLocalpart } from "../../../src/core/localpart.js";
import { ALICE, DOMAIN, fakeAdapter, fieldValue, iq, setup } from "./setup.js";

const mailFace: NetworkFace = {
  identityType: "smtp",
  networkName: "Email",
  addressLabel: "Email address",
  addressDescription: "Enter the email address of the contact you want to write to.",
  ownAddressHint: "e.g. alice@example.com",
  contactIdentity: { category: "client", type: "pc" },
  escapedAddresses: true,
};

const mail: NetworkAdapter = {
  ...fakeAdapter(),
  kind: "mail",
  face: mailFace,
  parseAddress: (l) => unescapeLocalpart(l),
  formatAddress: (a) => escapeLocalpart(a),
};

const DISCO = "http://jabber.org/protocol/disco#info";
const GW = "jabber:iq:gateway";
const REG = "jabber:iq:register";

describe("the adapter's face", () => {
  it("names the gateway and its contacts in service discovery", async () => {
    const { transport } = setup({ adapter: mail });
    const gateway = await transport.iqReply(iq("get", DOMAIN, ALICE, xml("query", { xmlns: DISCO })));
    expect(gateway.getChild("query", DISCO)?.getChild("identity")?.attrs).toMatchObject({
      category: "gateway",
      type: "smtp",
    });
    const features = (el: typeof gateway) =>
      el
        .getChild("query", DISCO)
        ?.getChildren("feature")
        .map((f) => f.attrs.var);
    // XEP-0106 section 6: the feature var is "jid\20escaping" (a literal backslash, 2, 0).
    expect(features(gateway)).toContain("jid\\20escaping");
    const sms = setup({});
    const plain = await sms.transport.iqReply(iq("get", DOMAIN, ALICE, xml("query", { xmlns: DISCO })));
    expect(features(plain)).not.toContain("jid\\20escaping");
    const contact = await transport.iqReply(
      iq("get", `bob\\40example.com@${DOMAIN}`, ALICE, xml("query", { xmlns: DISCO })),
    );
    expect(contact.getChild("query", DISCO)?.getChild("identity")?.attrs).toMatchObject({
      category: "client",
      type: "pc",
      name: "bob@example.com",
    });
  });

  it("asks for its address in XEP-0100 and turns one into a JID", async () => {
    const { transport } = setup({ adapter: mail });
    const q = (await transport.iqReply(iq("get", DOMAIN, ALICE, xml("query", { xmlns: GW })))).getChild(
      "query",
      GW,
    );
    expect(q?.getChildText("prompt")).toBe("Email address");
    expect(q?.getChildText("desc")).toBe(mailFace.addressDescription);
    const set = await transport.iqReply(
      iq("set", DOMAIN, ALICE, xml("query", { xmlns: GW }, xml("prompt", {}, "bob@example.com"))),
    );
    expect(set.getChild("query", GW)?.getChildText("jid")).toBe(`bob\\40example.com@${DOMAIN}`);
  });

  it("labels the registration field and the commands with its address", async () => {
    const { transport } = setup({ adapter: mail });
    const q = (await transport.iqReply(iq("get", DOMAIN, ALICE, xml("query", { xmlns: REG })))).getChild(
      "query",
      REG,
    );
    expect(q?.getChildText("instructions")).toBe("Enter the email address you send from and receive on.");
    const field = q
      ?.getChild("x", "jabber:x:data")
      ?.getChildren("field")
      .find((f) => f.attrs.var === "number");
    expect(field?.attrs).toMatchObject({ var: "number", label: "Your email address" });
    expect(field?.getChildText("desc")).toBe("e.g. alice@example.com");
    expect(fieldValue(q?.getChild("x", "jabber:x:data"), "number")).toEqual([]);
    const items = await transport.iqReply(
      iq(
        "get",
        DOMAIN,
        ALICE,
        xml("query", {
          xmlns: "http://jabber.org/protocol/disco#items",
          node: "http://jabber.org/protocol/commands",
        }),
      ),
    );
    const names = items
      .getChild("query")
      ?.getChildren("item")
      .map((i) => i.attrs.name);
    expect(names).toContain("Register an email address");
    expect(names).toContain("Unregister my email address");
  });
});
