import { xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import type { RegistrationSpec } from "../../../src/core/adapter.js";
import { Refusal } from "../../../src/core/errors.js";
import { errorCondition } from "../../harness/fake-transport.js";
import { ALICE, DOMAIN, fieldValue, iq, MALLORY, setup, submitForm } from "./setup.js";

const REG = "jabber:iq:register";
const getForm = (from = ALICE) => iq("get", DOMAIN, from, xml("query", { xmlns: REG }));
const submit = (values: Record<string, string>, from = ALICE) =>
  iq("set", DOMAIN, from, xml("query", { xmlns: REG }, submitForm(values)));
const remove = (from = ALICE) => iq("set", DOMAIN, from, xml("query", { xmlns: REG }, xml("remove")));
const presences = (sent: ReturnType<typeof xml>[]) =>
  sent
    .filter((s) => s.name === "presence")
    .map((p) => `${p.attrs.type ?? "available"} ${p.attrs.from} -> ${p.attrs.to}`);

describe("in-band registration (XEP-0077 with a XEP-0004 form)", () => {
  it("offers a form with the number field to a user without a number", async () => {
    const { transport } = setup();
    const reply = await transport.iqReply(getForm());
    expect(reply.attrs.type).toBe("result");
    const query = reply.getChild("query", REG);
    expect(query?.getChild("registered")).toBeUndefined();
    expect(query?.getChildText("instructions")).toMatch(/phone number/);
    const form = query?.getChild("x", "jabber:x:data");
    expect(form?.attrs.type).toBe("form");
    expect(fieldValue(form, "FORM_TYPE")).toEqual([REG]);
    const number = form?.getChildren("field").find((f) => f.attrs.var === "number");
    expect(number?.attrs.type).toBe("text-single");
    expect(number?.getChild("required")).toBeDefined();
  });

  it("registers a typed number in E.164, subscribes to the user, and shows it as registered", async () => {
    const { transport, registrations } = setup();
    const from = transport.sent.length;
    const reply = await transport.iqReply(submit({ number: "(555) 000-2222" }));
    expect(reply.attrs.type).toBe("result");
    expect(await registrations.byJid("sms", "alice@example.org")).toEqual({
      jid: "alice@example.org",
      address: "+15550002222",
      source: "self-service",
    });
    expect(presences(transport.sentSince(from))).toEqual([
      `subscribe ${DOMAIN} -> alice@example.org`,
      `available ${DOMAIN} -> alice@example.org`,
    ]);
    const again = (await transport.iqReply(getForm())).getChild("query", REG);
    expect(again?.getChild("registered")).toBeDefined();
    expect(again?.getChildText("username")).toBe("+15550002222");
    expect(fieldValue(again?.getChild("x", "jabber:x:data"), "number")).toEqual(["+15550002222"]);
  });

  it("keeps one number per user: registering again replaces it and frees the old one", async () => {
    const { transport, registrations } = setup();
    await transport.iqReply(submit({ number: "+15550002222" }));
    await transport.iqReply(submit({ number: "+15550004444" }));
    expect(await registrations.list("sms")).toEqual([
      { jid: "alice@example.org", address: "+15550004444", source: "self-service" },
    ]);
    expect(await registrations.byAddress("sms", "+15550002222")).toBeUndefined();
  });

  it("refuses a number another user holds, a bad number, an empty form and a form that is not submitted", async () => {
    const { transport, registrations } = setup();
    await registrations.put("sms", { jid: "bob@example.org", address: "+15550002222", source: "config" });
    const taken = await transport.iqReply(submit({ number: "+15550002222" }));
    expect(errorCondition(taken)).toBe("conflict");
    expect(taken.getChild("error")?.attrs.type).toBe("cancel");
    expect(taken.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(
      /already registered/,
    );
    expect(errorCondition(await transport.iqReply(submit({ number: "garbage" })))).toBe("bad-request");
    expect(errorCondition(await transport.iqReply(submit({})))).toBe("bad-request");
    const notSubmitted = iq(
      "set",
      DOMAIN,
      ALICE,
      xml("query", { xmlns: REG }, xml("x", { xmlns: "jabber:x:data", type: "form" })),
    );
    expect(errorCondition(await transport.iqReply(notSubmitted))).toBe("bad-request");
    expect(await registrations.byJid("sms", "alice@example.org")).toBeUndefined();
  });

  it("forbids users of other domains, and registering with a contact", async () => {
    const { transport } = setup();
    expect(errorCondition(await transport.iqReply(getForm(MALLORY)))).toBe("forbidden");
    expect(errorCondition(await transport.iqReply(submit({ number: "+15550002222" }, MALLORY)))).toBe(
      "forbidden",
    );
    const toContact = iq("get", `+15551234567@${DOMAIN}`, ALICE, xml("query", { xmlns: REG }));
    expect(errorCondition(await transport.iqReply(toContact))).toBe("service-unavailable");
  });

  it("<remove/> drops the binding, says unavailable and unsubscribes; a second remove is item-not-found", async () => {
    const { transport, registrations } = setup();
    await transport.iqReply(submit({ number: "+15550002222" }));
    const from = transport.sent.length;
    expect((await transport.iqReply(remove())).attrs.type).toBe("result");
    expect(await registrations.byJid("sms", "alice@example.org")).toBeUndefined();
    expect(presences(transport.sentSince(from))).toEqual([
      `unavailable ${DOMAIN} -> alice@example.org`,
      `unsubscribe ${DOMAIN} -> alice@example.org`,
      `unsubscribed ${DOMAIN} -> alice@example.org`,
    ]);
    expect(errorCondition(await transport.iqReply(remove()))).toBe("item-not-found");
  });

  describe("provisioned mode", () => {
    it("shows the operator's binding but refuses registering and removing it", async () => {
      const { transport, registrations } = setup({ mode: "provisioned" });
      await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
      const query = (await transport.iqReply(getForm())).getChild("query", REG);
      expect(query?.getChild("registered")).toBeDefined();
      expect(query?.getChildText("instructions")).toMatch(/operator/);
      const reg = await transport.iqReply(submit({ number: "+15550002222" }));
      expect(errorCondition(reg)).toBe("not-allowed");
      expect(errorCondition(await transport.iqReply(remove()))).toBe("not-allowed");
      expect((await registrations.byJid("sms", "alice@example.org"))?.address).toBe("+15550001111");
    });
  });

  describe("with an adapter's registration spec (bring your own account)", () => {
    const seen: Record<string, string>[] = [];
    const spec: RegistrationSpec = {
      instructions: "Enter your provider account.",
      fields: [
        { name: "number", label: "Number", kind: "text" },
        { name: "token", label: "Token", kind: "secret" },
      ],
      async verify(values) {
        seen.push({ ...values });
        if (values.token !== "good") throw new Refusal("not-authorized", "The provider refused the token.");
        return { number: "+15550009999", credentials: { token: values.token } };
      },
    };

    it("shows the adapter's fields (secrets as text-private) and stores the verified account", async () => {
      const { transport, registrations } = setup({ registration: spec });
      const form = (await transport.iqReply(getForm()))
        .getChild("query", REG)
        ?.getChild("x", "jabber:x:data");
      const types = Object.fromEntries(
        form?.getChildren("field").map((f) => [f.attrs.var, f.attrs.type]) ?? [],
      );
      expect(types).toMatchObject({ number: "text-single", token: "text-private" });
      const bad = await transport.iqReply(submit({ number: "+15550009999", token: "bad" }));
      expect(errorCondition(bad)).toBe("not-authorized");
      expect(await registrations.byJid("sms", "alice@example.org")).toBeUndefined();
      expect((await transport.iqReply(submit({ number: " +15550009999 ", token: "good" }))).attrs.type).toBe(
        "result",
      );
      expect(seen.at(-1)).toEqual({ number: "+15550009999", token: "good" });
      expect(await registrations.byJid("sms", "alice@example.org")).toEqual({
        jid: "alice@example.org",
        address: "+15550009999",
        source: "self-service",
        credentials: { token: "good" },
      });
    });

    it("echoes no submitted value in the error reply of a failed registration", async () => {
      const { transport } = setup({ registration: spec });
      const bad = await transport.iqReply(submit({ number: "+15550009999", token: "secret-typo-81f2" }));
      expect(errorCondition(bad)).toBe("not-authorized");
      expect(bad.toString()).not.toContain("secret-typo-81f2");
      // A handler that fails unexpectedly (internal-server-error) echoes nothing either.
      const broken = setup({
        registration: {
          ...spec,
          verify: async () => {
            throw new Error("boom");
          },
        },
      });
      const crashed = await broken.transport.iqReply(
        submit({ number: "+15550009999", token: "secret-crash-1c9d" }),
      );
      expect(errorCondition(crashed)).toBe("internal-server-error");
      expect(crashed.toString()).not.toContain("secret-crash-1c9d");
    });

    it("echoes no token in the error reply of the register command", async () => {
      const { transport } = setup({ registration: spec });
      const CMD = "http://jabber.org/protocol/commands";
      const run = (extra: Record<string, string>, ...children: ReturnType<typeof xml>[]) =>
        transport.iqReply(
          iq("set", DOMAIN, ALICE, xml("command", { xmlns: CMD, node: "register", ...extra }, ...children)),
        );
      const first = await run({});
      const sessionid = first.getChild("command", CMD)?.attrs.sessionid ?? "";
      const bad = await run(
        { sessionid, action: "complete" },
        submitForm({ number: "+15550009999", token: "cmd-typo-77aa" }),
      );
      expect(errorCondition(bad)).toBe("not-authorized");
      expect(bad.toString()).not.toContain("cmd-typo-77aa");
    });
  });
});
