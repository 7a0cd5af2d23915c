import { type Element, xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { formatEmailAddress, parseEmailLocalpart } from "../../../adapters/email/address.js";
import { EMAIL_CAPABILITIES, EMAIL_FACE } from "../../../adapters/email/face.js";
import type { NetworkAdapter } from "../../../src/core/adapter.js";
import type { JobState, QueueAdmin } from "../../../src/xmpp/commands/queue-admin.js";
import { errorCondition } from "../../harness/fake-transport.js";
import { ADMIN, ALICE, DOMAIN, fieldValue, iq, setup, submitForm } from "./setup.js";

/** The email adapter's face and address rules (what admin-bind uses of an adapter). */
const emailAdapter: NetworkAdapter = {
  kind: "email",
  face: EMAIL_FACE,
  capabilities: EMAIL_CAPABILITIES,
  parseAddress: parseEmailLocalpart,
  formatAddress: formatEmailAddress,
  send: async () => ({ providerMessageId: "x" }),
};

const CMD = "http://jabber.org/protocol/commands";
const execute = (node: string, from: string, extra: Record<string, string> = {}, ...children: Element[]) =>
  iq("set", DOMAIN, from, xml("command", { xmlns: CMD, node, ...extra }, ...children));
const command = (el: Element) => el.getChild("command", CMD);

function fakeQueues(): QueueAdmin & { retried: string[] } {
  const zero: Record<JobState, number> = {
    waiting: 0,
    active: 0,
    delayed: 0,
    failed: 0,
    completed: 0,
    paused: 0,
  };
  const retried: string[] = [];
  return {
    names: ["outbound-sms", "to-xmpp-sms"],
    retried,
    counts: async () => ({
      "outbound-sms": { ...zero, waiting: 2, failed: 3 },
      "to-xmpp-sms": { ...zero, completed: 7 },
    }),
    retryFailed: async (q) => {
      retried.push(q);
      return 3;
    },
    close: async () => {},
  };
}

/** Runs a two-step command: execute, then submit `values` in the session. */
async function twoStep(
  t: ReturnType<typeof setup>["transport"],
  node: string,
  from: string,
  values: Record<string, string>,
) {
  const first = command(await t.iqReply(execute(node, from)));
  expect(first?.attrs.status).toBe("executing");
  expect(first?.getChild("x", "jabber:x:data")?.attrs.type).toBe("form");
  const sessionid = first?.attrs.sessionid ?? "";
  expect(sessionid).not.toBe("");
  return t.iqReply(execute(node, from, { sessionid, action: "complete" }, submitForm(values)));
}

describe("ad-hoc commands (XEP-0050)", () => {
  it("lets a user register a number in two steps, then unregister it", async () => {
    const { transport, registrations } = setup();
    const done = await twoStep(transport, "register", ALICE, { number: "(555) 000-2222" });
    expect(command(done)?.attrs.status).toBe("completed");
    expect(command(done)?.getChildText("note")).toMatch(/\+15550002222/);
    expect((await registrations.byJid("sms", "alice@example.org"))?.address).toBe("+15550002222");
    const un = command(await transport.iqReply(execute("unregister", ALICE)));
    expect(un?.attrs.status).toBe("completed");
    expect(await registrations.byJid("sms", "alice@example.org")).toBeUndefined();
  });

  it("forbids admin commands to users who are not admins", async () => {
    const { transport } = setup({ queues: fakeQueues() });
    for (const node of [
      "admin-bind",
      "admin-unbind",
      "admin-list-users",
      "admin-queue-status",
      "admin-retry-failed",
    ]) {
      const reply = await transport.iqReply(execute(node, ALICE));
      expect(reply.attrs.type).toBe("error");
      expect(errorCondition(reply)).toBe("forbidden");
    }
    expect(errorCondition(await transport.iqReply(execute("nope", ALICE)))).toBe("item-not-found");
  });

  it("lets an admin bind, list and unbind users", async () => {
    const { transport, registrations } = setup();
    const from = transport.sent.length;
    const bound = await twoStep(transport, "admin-bind", ADMIN, {
      jid: "Carol@example.org",
      number: "555-000-3333",
    });
    expect(command(bound)?.attrs.status).toBe("completed");
    expect(await registrations.byJid("sms", "carol@example.org")).toEqual({
      jid: "carol@example.org",
      address: "+15550003333",
      source: "admin",
    });
    // The new user is asked for a presence subscription, as after a registration.
    expect(transport.sentSince(from).some((s) => s.is("presence") && s.attrs.type === "subscribe")).toBe(
      true,
    );

    const list = command(await transport.iqReply(execute("admin-list-users", ADMIN)));
    expect(list?.attrs.status).toBe("completed");
    expect(fieldValue(list?.getChild("x", "jabber:x:data"), "users")).toEqual([
      "carol@example.org +15550003333 (admin)",
    ]);

    const unbound = await twoStep(transport, "admin-unbind", ADMIN, { jid: "carol@example.org" });
    expect(command(unbound)?.attrs.status).toBe("completed");
    expect(await registrations.list("sms")).toEqual([]);
    const again = await twoStep(transport, "admin-unbind", ADMIN, { jid: "carol@example.org" });
    expect(errorCondition(again)).toBe("item-not-found");
  });

  it("binds an email address with the adapter's address check, and names it so in every text", async () => {
    const { transport, registrations } = setup({ adapter: emailAdapter, mode: "provisioned" });
    const first = command(await transport.iqReply(execute("admin-bind", ADMIN)));
    const form = first?.getChild("x", "jabber:x:data");
    expect(form?.getChildText("title")).toBe("Bind an email address to a user");
    const field = form?.getChildren("field").find((f) => f.attrs.var === "number");
    expect(field?.attrs.label).toBe("Email address");

    const phone = await twoStep(transport, "admin-bind", ADMIN, {
      jid: "carol@example.org",
      number: "+15550003333",
    });
    expect(errorCondition(phone)).toBe("bad-request");
    expect(phone.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(
      /^"\+15550003333" is not an email address/,
    );
    expect(await registrations.list("sms")).toEqual([]);

    const bound = await twoStep(transport, "admin-bind", ADMIN, {
      jid: "carol@example.org",
      number: "Carol@Mail.Example.org",
    });
    expect(command(bound)?.getChildText("note")).toBe(
      "carol@mail.example.org is bound to carol@example.org.",
    );
    expect((await registrations.byJid("sms", "carol@example.org"))?.address).toBe("carol@mail.example.org");
    const list = command(await transport.iqReply(execute("admin-list-users", ADMIN)));
    const users = list?.getChild("x", "jabber:x:data")?.getChildren("field")[0];
    expect(users?.attrs.label).toBe("User, email address (how it was bound)");

    await twoStep(transport, "admin-unbind", ADMIN, { jid: "carol@example.org" });
    const again = await twoStep(transport, "admin-unbind", ADMIN, { jid: "carol@example.org" });
    expect(again.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe(
      "carol@example.org has no email address on this gateway.",
    );
  });

  it("shows an admin the job counts per queue and retries failed jobs", async () => {
    const queues = fakeQueues();
    const { transport } = setup({ queues });
    const status = command(await transport.iqReply(execute("admin-queue-status", ADMIN)));
    const form = status?.getChild("x", "jabber:x:data");
    expect(fieldValue(form, "outbound-sms")).toEqual([
      "waiting 2, active 0, delayed 0, failed 3, completed 0, paused 0",
    ]);
    expect(fieldValue(form, "to-xmpp-sms")[0]).toMatch(/completed 7/);
    const retried = await twoStep(transport, "admin-retry-failed", ADMIN, { queue: "outbound-sms" });
    expect(command(retried)?.getChildText("note")).toMatch(/3 failed job/);
    expect(queues.retried).toEqual(["outbound-sms"]);
    const unknown = await twoStep(transport, "admin-retry-failed", ADMIN, { queue: "other" });
    expect(errorCondition(unknown)).toBe("bad-request");
  });

  it("refuses unknown and foreign sessions, and cancels", async () => {
    const { transport } = setup();
    const bogus = await transport.iqReply(
      execute(
        "admin-bind",
        ADMIN,
        { sessionid: "nope" },
        submitForm({ jid: "x@example.org", number: "+15550003333" }),
      ),
    );
    expect(errorCondition(bogus)).toBe("bad-request");
    const first = command(await transport.iqReply(execute("register", ALICE)));
    const sessionid = first?.attrs.sessionid ?? "";
    // Another user cannot continue alice's session.
    const stolen = await transport.iqReply(
      execute("register", "bob@example.org/x", { sessionid }, submitForm({ number: "+15550005555" })),
    );
    expect(errorCondition(stolen)).toBe("bad-request");
    const canceled = command(
      await transport.iqReply(execute("register", ALICE, { sessionid, action: "cancel" })),
    );
    expect(canceled?.attrs.status).toBe("canceled");
    const after = await transport.iqReply(
      execute("register", ALICE, { sessionid }, submitForm({ number: "+15550005555" })),
    );
    expect(errorCondition(after)).toBe("bad-request");
  });

  it("does not offer self-registration in provisioned mode", async () => {
    const { transport } = setup({ mode: "provisioned" });
    expect(errorCondition(await transport.iqReply(execute("register", ALICE)))).toBe("forbidden");
  });
});
