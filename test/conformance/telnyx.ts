/**
 * Telnyx in the conformance suite: the stand-in of test/harness (a recorder behind prism, which
 * validates every request against Telnyx's own OpenAPI description), JSON webhooks built to the
 * spec's webhook schemas and signed with a test Ed25519 key pair, and bring-your-own registration
 * against the stand-in's accounts.
 */
import { randomUUID } from "node:crypto";
import {
  deliveryEvent,
  inboundMessageEvent,
  postTelnyxWebhook,
  telnyxKeyPair,
  telnyxSpecPath,
} from "../harness/telnyx-events.js";
import { startTelnyxStandIn, type TelnyxRecordedRequest } from "../harness/telnyx-standin.js";
import type { ConformanceAdapter, GatewayUnderTest, InboundPost, SentMessage } from "./descriptor.js";

const GATEWAY_KEY = "KEY-telnyx-conformance-71c2";
const OWNER = "+15550004141";
const OWN_KEY = "KEY-telnyx-own-conformance-3d5e";
const OWN_NUMBERS = ["+15550004242", "+15550004243", "+15550004244"];
/** A number no account of the stand-in owns. */
const NOBODYS = "+15550004999";

function sentOf(r: TelnyxRecordedRequest): SentMessage {
  const json = (r.json ?? {}) as { to?: string; from?: string; text?: string; media_urls?: string[] };
  let providerId = "";
  try {
    const id = (JSON.parse(r.response.body) as { data?: { id?: unknown } }).data?.id;
    if (typeof id === "string") providerId = id;
  } catch {
    // an error answer: no id
  }
  return {
    to: json.to ?? "",
    from: json.from ?? "",
    body: json.text ?? "",
    mediaUrls: json.media_urls ?? [],
    providerId,
    at: r.receivedAt,
  };
}

export const telnyxConformance: ConformanceAdapter = {
  name: "telnyx",
  available: () => telnyxSpecPath() !== undefined,
  notApplicable: {},
  async start() {
    const keys = telnyxKeyPair();
    const standIn = await startTelnyxStandIn({
      accounts: { [GATEWAY_KEY]: [OWNER], [OWN_KEY]: OWN_NUMBERS },
    });
    const url = (gw: GatewayUnderTest, route: string) => `${gw.localUrl}/webhooks/${gw.id}/${route}`;
    const inboundBody = (p: InboundPost) =>
      inboundMessageEvent({
        id: p.id,
        from: p.from,
        to: p.to,
        text: p.body,
        media: (p.mediaUrls ?? []).map((u) => ({ url: u })),
      });
    const report = async (gw: GatewayUnderTest, sent: SentMessage, failed: boolean) => {
      const body = deliveryEvent({
        id: sent.providerId,
        from: sent.from,
        to: sent.to,
        eventType: "message.finalized",
        status: failed ? "delivery_failed" : "delivered",
        ...(failed ? { errors: [{ code: "40006", title: "Recipient server unavailable" }] } : {}),
      });
      const res = await postTelnyxWebhook(url(gw, "status"), body, keys.privateKey);
      if (res.status !== 200) throw new Error(`delivery webhook answered ${res.status}`);
    };
    let regCounter = 0;
    let contactCounter = 0;
    const contact = () => `+1555${String(7_200_000 + ((Date.now() + contactCounter++ * 7919) % 2_700_000))}`;
    return {
      gateway: {
        adapter: "telnyx",
        registration: { mode: "self-service" },
        telnyx: { apiKey: "${TELNYX_API_KEY}", publicKey: keys.publicKey, apiBaseUrl: standIn.baseUrl },
      },
      env: { TELNYX_API_KEY: GATEWAY_KEY },
      owner: { address: OWNER },
      contact,
      attempts: () =>
        standIn.requests.filter((r) => r.method === "POST" && r.path === "/v2/messages").map(sentOf),
      permanentError() {
        standIn.enqueueResponse({
          status: 400,
          code: "40310",
          title: "Invalid 'to' address",
          detail: "LOCAL: no such number",
        });
        return { to: "+15557009002", reason: /40310.*LOCAL: no such number/ };
      },
      retryableError(seconds) {
        standIn.enqueueResponse({ status: 429, rateLimitReset: seconds });
      },
      postInbound: async (gw, p) =>
        (await postTelnyxWebhook(url(gw, "message"), inboundBody(p), keys.privateKey)).status,
      postUnsigned: async (gw, p, how) => {
        const body = inboundBody(p);
        const headers =
          how === "missing"
            ? { "telnyx-signature-ed25519": "" }
            : { "telnyx-signature-ed25519": Buffer.alloc(64, 9).toString("base64") };
        return (await postTelnyxWebhook(url(gw, "message"), body, keys.privateKey, { headers })).status;
      },
      reportDelivered: (gw, sent) => report(gw, sent, false),
      failure: {
        to: contact,
        report: (gw, sent) => report(gw, sent, true),
        reason: /40006.*network is unavailable/,
      },
      registration: {
        good: () => ({
          number: OWN_NUMBERS[regCounter++ % OWN_NUMBERS.length] ?? "",
          apiKey: OWN_KEY,
          publicKey: telnyxKeyPair().publicKey,
        }),
        bad: () => ({ number: NOBODYS, apiKey: OWN_KEY, publicKey: telnyxKeyPair().publicKey }),
        badCondition: "item-not-found",
      },
      addresses: {
        valid: [
          ["+15557654321", "+15557654321"],
          ["+442071838750", "+442071838750"],
        ],
        invalid: ["not-a-number", "+1555"],
      },
      problems: () => standIn.validationFailures(),
      stop: () => standIn.stop(),
      newId: () => randomUUID(),
    };
  },
};
