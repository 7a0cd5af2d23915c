// Issue 12: users are bound to an email address "in the same config and admin commands as SMS
// numbers". An operator binds a user of a real Prosody through the XEP-0050 admin-bind command
// of the real gateway (provisioned mode); the SMTP listener then takes mail for that address from
// swaks (250, delivered to the user's XMPP client) and, once admin-unbind removed the binding,
// refuses it at RCPT TO (550, no DATA sent). The address is checked with the email adapter's
// rules: a phone number is refused as no email address, in the command's answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { freePort } from "../harness/ports.js";
import { conditionOf, errorText } from "../harness/stanza-match.js";
import { swaks } from "../harness/swaks.js";
import { connectClient, type Element, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const DOMAIN = "mail.localhost";
const SECRET = "component-secret-email-admin";
const CAROL_MAIL = `carol@${DOMAIN}`;
const BOB_JID = `bob\\40example.com@${DOMAIN}`;
const WAIT = 20_000;
const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DATA = "jabber:x:data";

const submit = (values: Record<string, string>) =>
  xml(
    "x",
    { xmlns: NS_DATA, type: "submit" },
    ...Object.entries(values).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))),
  );

const commandOf = (el: Element) => el.getChild("command", NS_COMMANDS);

/** Runs an admin command in its two steps (execute: the form; complete: the values). */
async function runCommand(admin: TestClient, node: string, values: Record<string, string>) {
  const first = await admin.iq(
    xml("iq", { type: "set", to: DOMAIN }, xml("command", { xmlns: NS_COMMANDS, node, action: "execute" })),
  );
  const form = commandOf(first);
  expect(form?.attrs.status, first.toString()).toBe("executing");
  const fields = form?.getChild("x", NS_DATA)?.getChildren("field") ?? [];
  for (const name of Object.keys(values)) expect(fields.map((f) => f.attrs.var)).toContain(name);
  return admin.iq(
    xml(
      "iq",
      { type: "set", to: DOMAIN },
      xml(
        "command",
        { xmlns: NS_COMMANDS, node, sessionid: form?.attrs.sessionid ?? "", action: "complete" },
        submit(values),
      ),
    ),
  );
}

describe("email users bound by the admin commands", () => {
  let server: XmppServer;
  let gw: TestGateway;
  let admin: TestClient;
  let carol: TestClient;
  let listenPort: number;

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: DOMAIN, secret: SECRET }] });
    await server.registerMany([
      { user: "carol", password: "carol-pw" },
      { user: "mail-admin", password: "admin-pw" },
    ]);
    listenPort = await freePort();
    gw = await startTestGateway({
      env: { COMPONENT_SECRET: SECRET },
      config: {
        xmpp: { service: server.componentService },
        allowedDomains: ["localhost"],
        admins: ["mail-admin@localhost"],
        gateways: [
          {
            id: "mail",
            domain: DOMAIN,
            secret: "${COMPONENT_SECRET}",
            adapter: "email",
            // Nothing is sent out here: the relay is a closed port.
            email: {
              listen: `127.0.0.1:${listenPort}`,
              relay: { host: "127.0.0.1", port: await freePort() },
            },
          },
        ],
      },
    });
    await gw.online();
    [admin, carol] = await Promise.all([
      connectClient({ server, username: "mail-admin", password: "admin-pw" }),
      connectClient({ server, username: "carol", password: "carol-pw" }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([admin?.stop(), carol?.stop()]);
    await gw?.stop();
    await server?.stop();
  }, 60_000);

  const mailToCarol = (body: string) =>
    swaks({
      port: listenPort,
      from: "bob@example.com",
      to: CAROL_MAIL,
      header: [
        "From: Bob <bob@example.com>",
        "Subject: note",
        `Message-Id: <${body.replace(/\W/g, "-")}@example.com>`,
      ],
      body,
    });

  const refusedAtRcpt = (r: Awaited<ReturnType<typeof swaks>>) => {
    expect(r.code, r.transcript).not.toBe(0);
    expect(
      r.replies.some((l) => l.startsWith("550 ")),
      r.transcript,
    ).toBe(true);
    // Refused at RCPT TO: the mail's content was never taken, so nothing was enqueued.
    expect(
      r.replies.some((l) => l.startsWith("354 ")),
      r.transcript,
    ).toBe(false);
  };

  it("refuses an address that is not an email address with the email rules, not the SMS ones", async () => {
    const done = await runCommand(admin, "admin-bind", { jid: "carol@localhost", number: "+15550001111" });
    expect(done.attrs.type, done.toString()).toBe("error");
    expect(conditionOf(done)).toBe("bad-request");
    expect(errorText(done)).toMatch(/"\+15550001111" is not an email address/);
    expect(errorText(done)).not.toMatch(/number/i);
    refusedAtRcpt(await mailToCarol("before binding"));
  });

  it("accepts mail for an address an admin bound, delivered to the user, and 550 once unbound", async () => {
    // Typed as a person would: case-folded to the canonical address the listener looks up.
    const bound = await runCommand(admin, "admin-bind", {
      jid: "carol@localhost",
      number: "Carol@Mail.Localhost",
    });
    expect(commandOf(bound)?.attrs.status, bound.toString()).toBe("completed");
    expect(commandOf(bound)?.getChildText("note")).toBe(`${CAROL_MAIL} is bound to carol@localhost.`);

    const accepted = await mailToCarol("hello Carol");
    expect(accepted.code, accepted.transcript).toBe(0);
    expect(accepted.lastReply).toMatch(/^250 /);
    const delivered = await carol.waitFor(
      (el) =>
        el.is("message") &&
        el.attrs.from?.split("/")[0] === BOB_JID &&
        el.getChildText("subject") === "note" &&
        el.getChildText("body") === "Subject: note\n\nhello Carol",
      WAIT,
    );
    expect(delivered.attrs.to?.split("/")[0]).toBe("carol@localhost");

    const unbound = await runCommand(admin, "admin-unbind", { jid: "carol@localhost" });
    expect(commandOf(unbound)?.attrs.status, unbound.toString()).toBe("completed");
    expect(commandOf(unbound)?.getChildText("note")).toBe(
      `${CAROL_MAIL} is no longer bound to carol@localhost.`,
    );
    refusedAtRcpt(await mailToCarol("after unbinding"));

    const again = await runCommand(admin, "admin-unbind", { jid: "carol@localhost" });
    expect(conditionOf(again)).toBe("item-not-found");
    expect(errorText(again)).toBe("carol@localhost has no email address on this gateway.");
  });
});
