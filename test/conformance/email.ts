/**
 * The email adapter in the conformance suite. Its stand-in is a recording SMTP sink as the relay
 * (it answers 5xx for the permanent error) and swaks sending into the adapter's listener, which
 * the gateway starts (inbound mail, and a delivery status report for the failure). The registry
 * entry is the production one, wrapped to record what reached the relay; the owner is a config
 * user. Its capabilities leave out the receipt check (a relay's 250 is not delivery: the check
 * that no receipt is claimed runs instead) and inbound OOB media (attachments are listed).
 */
import { emailConfigSchema, emailDefaultPacing } from "../../adapters/email/config.js";
import { createEmailGateway, type EmailConfigInput } from "../../adapters/email/index.js";
import type { LoadedGateway } from "../../src/config/load.js";
import { entry } from "../../src/main.js";
import { deliveryReport } from "../harness/delivery-report.js";
import { freePort } from "../harness/ports.js";
import { type SmtpSink, startSmtpSink } from "../harness/smtp-sink.js";
import { swaks } from "../harness/swaks.js";
import type { ConformanceAdapter, InboundPost, SentMessage } from "./descriptor.js";

const OWNER = "owner@email.localhost";

export const emailConformance: ConformanceAdapter = {
  name: "email",
  available: () => true,
  notApplicable: {
    retryable: "SMTP has no Retry-After: a relay's 4xx is retried on the queue's own backoff",
    webhooks: "inbound mail comes by SMTP from the operator's MTA, which authenticates it (SPF/DKIM/DMARC)",
    registration: "addresses are on the operator's own mail domain: there is no provider account to check",
    receipts: "a relay's 250 is not delivery and a bounce is the only report: no XEP-0184 receipt is claimed",
    inboundMedia:
      "attachments of inbound mail are listed by name and size in the text, not delivered as media",
  },
  async start() {
    const relay: SmtpSink = await startSmtpSink();
    const listenPort = await freePort();
    const sent: SentMessage[] = [];
    const email = entry({
      schema: emailConfigSchema,
      pacing: emailDefaultPacing,
      create(g: LoadedGateway, c: EmailConfigInput, deps) {
        const adapter = createEmailGateway(g, c, deps);
        return {
          ...adapter,
          async send(msg, account) {
            const record = {
              to: msg.to,
              from: account.number,
              body: msg.body,
              mediaUrls: [...msg.mediaUrls],
            };
            const at = Date.now();
            try {
              const result = await adapter.send(msg, account);
              sent.push({ ...record, at, providerId: result.providerMessageId });
              return result;
            } catch (err) {
              sent.push({ ...record, at, providerId: "" });
              throw err;
            }
          },
        };
      },
    });
    let counter = 0;
    const fresh = (name: string) =>
      `${name}-${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
    const smtp = async (from: string, to: string, data: string): Promise<number> => {
      const r = await swaks({ port: listenPort, from, to, data });
      return r.code === 0 ? 200 : Number(r.lastReply.slice(0, 3)) || 500;
    };
    const inbound = (p: InboundPost) =>
      [`From: ${p.from}`, `To: ${p.to}`, `Message-ID: <${p.id}>`, "", p.body, ""].join("\r\n");
    return {
      gateway: {
        adapter: "email",
        email: { listen: `127.0.0.1:${listenPort}`, relay: { host: "127.0.0.1", port: relay.port } },
      },
      adapters: { email },
      owner: { address: OWNER },
      newId: () => `c${Date.now().toString(36)}.${(counter++).toString(36)}@example.com`,
      contact: () => fresh("bob"),
      attempts: () => sent,
      permanentError() {
        const to = fresh("gone");
        relay.refuse(to, 550, "mailbox unavailable");
        return { to, reason: /The mail relay refused the message: 550 .*mailbox unavailable/ };
      },
      postInbound: (_gw, p) => smtp(p.from, p.to, inbound(p)),
      // Email never reports delivery: a relay's 250 is not delivery.
      reportDelivered: async () => undefined,
      failure: {
        to: () => fresh("full"),
        async report(_gw, s) {
          const status = await smtp(
            "MAILER-DAEMON@mta.example.net",
            OWNER,
            deliveryReport({
              to: OWNER,
              finalRecipient: s.to,
              messageId: s.providerId,
              status: "5.2.2",
              diagnostic: "smtp; 552 5.2.2 mailbox full",
            }),
          );
          if (status !== 200) throw new Error(`the delivery report was answered ${status}`);
        },
        reason: /could not be delivered to full-.*status 5\.2\.2: 552 5\.2\.2 mailbox full/,
      },
      addresses: {
        valid: [
          ["bob\\40example.com", "bob@example.com"],
          ["o\\27neil\\40example.co.uk", "o'neil@example.co.uk"],
        ],
        invalid: ["bob", "bob\\40", "bob\\40localhost"],
      },
      async stop() {
        await relay.close();
      },
    };
  },
};
