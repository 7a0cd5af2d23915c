import { readFileSync } from "node:fs";
import { xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { errorCondition } from "../../harness/fake-transport.js";
import { ADMIN, ALICE, DOMAIN, iq, setup } from "./setup.js";

const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";
const COMMANDS = "http://jabber.org/protocol/commands";
const features = (q: ReturnType<typeof xml> | undefined) =>
  q?.getChildren("feature").map((f) => f.attrs.var) ?? [];

describe("service discovery, version and ping (stanza level)", () => {
  it("describes the gateway: identity gateway/sms with its name, and the features it answers", async () => {
    const { transport } = setup();
    const reply = await transport.iqReply(iq("get", DOMAIN, ALICE, xml("query", { xmlns: INFO })));
    expect(reply.attrs).toMatchObject({ type: "result", to: ALICE, from: DOMAIN });
    const query = reply.getChild("query", INFO);
    expect(query?.getChild("identity")?.attrs).toMatchObject({
      category: "gateway",
      type: "sms",
      name: "SMS gateway",
    });
    expect(features(query)).toEqual(
      expect.arrayContaining([
        INFO,
        ITEMS,
        "jabber:iq:register",
        "jabber:iq:gateway",
        "jabber:iq:version",
        "urn:xmpp:ping",
        COMMANDS,
      ]),
    );
  });

  it("describes a contact as a phone and refuses a localpart that is no number", async () => {
    const { transport } = setup();
    const contact = await transport.iqReply(
      iq("get", `+15551234567@${DOMAIN}`, ALICE, xml("query", { xmlns: INFO })),
    );
    expect(contact.attrs.type).toBe("result");
    expect(contact.attrs.from).toBe(`+15551234567@${DOMAIN}`);
    const q = contact.getChild("query", INFO);
    expect(q?.getChild("identity")?.attrs).toMatchObject({ category: "client", type: "phone" });
    expect(features(q)).toContain("urn:xmpp:ping");
    expect(features(q)).not.toContain("jabber:iq:register");

    const bad = await transport.iqReply(
      iq("get", `not-a-number@${DOMAIN}`, ALICE, xml("query", { xmlns: INFO })),
    );
    expect(bad.attrs.type).toBe("error");
    expect(errorCondition(bad)).toBe("item-not-found");
  });

  it("lists no items on the domain or a contact, and the commands per requester under the commands node", async () => {
    const { transport } = setup();
    for (const to of [DOMAIN, `+15551234567@${DOMAIN}`]) {
      const reply = await transport.iqReply(iq("get", to, ALICE, xml("query", { xmlns: ITEMS })));
      expect(reply.attrs.type).toBe("result");
      expect(reply.getChild("query", ITEMS)?.getChildren("item")).toEqual([]);
    }
    const nodes = async (from: string) => {
      const reply = await transport.iqReply(
        iq("get", DOMAIN, from, xml("query", { xmlns: ITEMS, node: COMMANDS })),
      );
      return (
        reply
          .getChild("query", ITEMS)
          ?.getChildren("item")
          .map((i) => i.attrs.node) ?? []
      );
    };
    expect(await nodes(ALICE)).toEqual(["register", "unregister"]);
    expect(await nodes(ADMIN)).toEqual(
      expect.arrayContaining(["register", "admin-bind", "admin-list-users"]),
    );
    expect(await nodes("mallory@evil.example/x")).toEqual([]);
    const info = await transport.iqReply(
      iq("get", DOMAIN, ALICE, xml("query", { xmlns: INFO, node: "register" })),
    );
    expect(info.getChild("query", INFO)?.getChild("identity")?.attrs).toMatchObject({
      category: "automation",
      type: "command-node",
    });
    const hidden = await transport.iqReply(
      iq("get", DOMAIN, ALICE, xml("query", { xmlns: INFO, node: "admin-bind" })),
    );
    expect(errorCondition(hidden)).toBe("item-not-found");
  });

  it("answers jabber:iq:version with the name and version of package.json", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      name: string;
      version: string;
    };
    const { transport } = setup();
    const reply = await transport.iqReply(
      iq("get", DOMAIN, ALICE, xml("query", { xmlns: "jabber:iq:version" })),
    );
    const q = reply.getChild("query", "jabber:iq:version");
    expect(q?.getChildText("name")).toBe(pkg.name);
    expect(q?.getChildText("version")).toBe(pkg.version);
  });

  it("answers pings on the domain and on contacts with an empty result", async () => {
    const { transport } = setup();
    for (const to of [DOMAIN, `+15551234567@${DOMAIN}`]) {
      const reply = await transport.iqReply(iq("get", to, ALICE, xml("ping", { xmlns: "urn:xmpp:ping" })));
      expect(reply.attrs.type).toBe("result");
      expect(reply.getChildElements()).toEqual([]);
    }
  });

  it("answers unknown namespaces service-unavailable and malformed iqs bad-request, once each", async () => {
    const { transport } = setup();
    const unknown = await transport.iq(iq("get", DOMAIN, ALICE, xml("query", { xmlns: "urn:example:nope" })));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]?.attrs.type).toBe("error");
    expect(errorCondition(unknown[0] ?? xml("x"))).toBe("service-unavailable");
    // A set on a get-only namespace is unknown too.
    const setVersion = await transport.iqReply(
      iq("set", DOMAIN, ALICE, xml("query", { xmlns: "jabber:iq:version" })),
    );
    expect(errorCondition(setVersion)).toBe("service-unavailable");
    const two = await transport.iq(
      iq(
        "get",
        DOMAIN,
        ALICE,
        xml("ping", { xmlns: "urn:xmpp:ping" }),
        xml("ping", { xmlns: "urn:xmpp:ping" }),
      ),
    );
    expect(two).toHaveLength(1);
    expect(errorCondition(two[0] ?? xml("x"))).toBe("bad-request");
    // Results and errors addressed to the component are never answered.
    const before = transport.sent.length;
    await transport.receive(xml("iq", { type: "result", to: DOMAIN, from: ALICE, id: "r1" }));
    await transport.receive(xml("iq", { type: "error", to: DOMAIN, from: ALICE, id: "e1" }));
    expect(transport.sent.length).toBe(before);
    expect(transport.handlerErrors).toEqual([]);
  });
});
