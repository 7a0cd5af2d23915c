/**
 * The loopback network in the conformance suite, and its registry line: the only place that
 * names it beside the list in ../adapters.ts.
 */
import { entry } from "../../../src/main.js";
import type { ConformanceAdapter, GatewayUnderTest, InboundPost } from "../descriptor.js";
import { createLoopbackAdapter, loopbackConfigSchema } from "./index.js";
import { startLoopStandIn } from "./stand-in.js";

const API_KEY = "loop-api-key-conformance-71d2";
const WEBHOOK_SECRET = "loop-webhook-secret-conformance-c94e";
const OWNER = "owner@loop.example.org";
const OWNER_TOKEN = "owner-mailbox-token-3f0a";

export const loopbackEntry = entry({
  schema: loopbackConfigSchema,
  // A stand-in network on the test machine: no provider limit to keep to.
  pacing: "off",
  create: (_gateway, config, deps) => createLoopbackAdapter(config, deps),
});

export const loopbackConformance: ConformanceAdapter = {
  name: "loopback",
  available: () => true,
  notApplicable: {},
  async start() {
    const standIn = await startLoopStandIn(API_KEY);
    standIn.mailboxes.set(OWNER, OWNER_TOKEN);
    const webhook = (gw: GatewayUnderTest) => `${gw.localUrl}/webhooks/${gw.id}/events`;
    const message = (p: InboundPost) => ({
      type: "message" as const,
      id: p.id,
      from: p.from,
      to: p.to,
      text: p.body,
      media: [...(p.mediaUrls ?? [])],
    });
    let counter = 0;
    const fresh = (name: string) =>
      `${name}-${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
    return {
      gateway: {
        adapter: "loopback",
        registration: { mode: "self-service" },
        loopback: { apiUrl: standIn.url, apiKey: "${LOOP_KEY}", webhookSecret: "${LOOP_SECRET}" },
      },
      env: { LOOP_KEY: API_KEY, LOOP_SECRET: WEBHOOK_SECRET },
      adapters: { loopback: loopbackEntry },
      owner: { address: OWNER, register: { address: OWNER, token: OWNER_TOKEN } },
      newId: () => `LP${Date.now().toString(16)}${(counter++).toString(16)}`,
      contact: () => fresh("bob"),
      attempts: () => standIn.sent,
      permanentError() {
        standIn.enqueue({
          status: 422,
          code: "no-such-mailbox",
          message: "LOCAL: nobody reads that mailbox",
        });
        return { to: fresh("gone"), reason: /no-such-mailbox: LOCAL: nobody reads that mailbox/ };
      },
      retryableError: (seconds) => standIn.enqueue({ status: 503, retryAfterSeconds: seconds }),
      postInbound: (gw, p) => standIn.deliver(webhook(gw), message(p), WEBHOOK_SECRET),
      postUnsigned: (gw, p, how) =>
        standIn.deliver(
          webhook(gw),
          message(p),
          WEBHOOK_SECRET,
          how === "missing" ? null : `sha256=${"0".repeat(64)}`,
        ),
      async reportDelivered(gw, sent) {
        const event = {
          type: "report" as const,
          id: `R${sent.providerId}`,
          message: sent.providerId,
          status: "delivered" as const,
        };
        const status = await standIn.deliver(webhook(gw), event, WEBHOOK_SECRET);
        if (status !== 200) throw new Error(`the report was answered ${status}`);
      },
      failure: {
        to: () => fresh("away"),
        async report(gw, sent) {
          const event = {
            type: "report" as const,
            id: `F${sent.providerId}`,
            message: sent.providerId,
            status: "failed" as const,
            reason: "mailbox full",
          };
          const status = await standIn.deliver(webhook(gw), event, WEBHOOK_SECRET);
          if (status !== 200) throw new Error(`the report was answered ${status}`);
        },
        reason: /Loop network: mailbox full/,
      },
      registration: {
        good() {
          const address = fresh("reg");
          const token = `token-${address}`;
          standIn.mailboxes.set(address, token);
          return { address, token };
        },
        bad: () => ({ address: OWNER, token: "not-the-owner-token" }),
        badCondition: "not-authorized",
      },
      addresses: {
        valid: [
          ["bob\\40example.com", "bob@example.com"],
          ["first.last+tag\\40mail.example.org", "first.last+tag@mail.example.org"],
        ],
        invalid: ["bob", "+15557654321", "bob\\40", "a\\40b\\40c.org"],
      },
      problems: () => standIn.problems,
      stop: () => standIn.stop(),
    };
  },
};
