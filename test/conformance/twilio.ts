/**
 * Twilio in the conformance suite: the stand-in of test/harness (a recorder behind prism, which
 * validates every request against Twilio's own OpenAPI description), signed form webhooks, and
 * bring-your-own registration against the stand-in's accounts.
 */
import {
  formValues,
  type RecordedRequest,
  signedTwilioPost,
  startTwilioStandIn,
  twilioSpecPath,
} from "../harness/twilio-standin.js";
import type {
  ConformanceAdapter,
  GatewayUnderTest,
  InboundPost,
  RunningStandIn,
  SentMessage,
} from "./descriptor.js";
import { freshUsNumber, SMS_ADDRESSES } from "./sms.js";

const GATEWAY_SID = `AC${"c0".repeat(16)}`;
const GATEWAY_TOKEN = "twilio-token-conformance-4e1b";
const OWNER = "+15550003131";
/** A bring-your-own account whose numbers registration checks succeed for. */
const OWN_SID = `AC${"d1".repeat(16)}`;
const OWN_TOKEN = "own-token-conformance-9a70";
const OWN_NUMBERS = ["+15550003232", "+15550003233", "+15550003234"];

let counter = 0;
const newSid = () => `SM${(Date.now().toString(16) + (counter++).toString(16)).padStart(32, "0")}`;

function sentOf(r: RecordedRequest): SentMessage {
  let providerId = "";
  try {
    const sid = (JSON.parse(r.response.body) as { sid?: unknown }).sid;
    if (typeof sid === "string") providerId = sid;
  } catch {
    // an error answer: no sid
  }
  return {
    to: String(r.form.To),
    from: String(r.form.From),
    body: typeof r.form.Body === "string" ? r.form.Body : "",
    mediaUrls: formValues(r.form, "MediaUrl"),
    providerId,
    at: r.receivedAt,
  };
}

/** What a Twilio-compatible provider (SignalWire) changes in the descriptor. */
export interface TwilioLike {
  readonly name: string;
  readonly signalwire: boolean;
  /** The gateway's account id and the key webhooks are signed with. */
  readonly account: string;
  readonly signingKey: string;
  /** The API credential (Twilio: the auth token, which also signs). */
  readonly apiToken: string;
  readonly signatureHeader?: string;
  readonly newId: () => string;
  readonly gateway: (baseUrl: string) => Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly registration?: RunningStandIn["registration"];
}

export function twilioLikeConformance(f: TwilioLike): ConformanceAdapter {
  return {
    name: f.name,
    available: () => twilioSpecPath() !== undefined,
    notApplicable: f.registration ? {} : { registration: `no bring-your-own ${f.name} accounts yet` },
    start: () => startTwilioLike(f),
  };
}

async function startTwilioLike(f: TwilioLike): Promise<RunningStandIn> {
  const standIn = await startTwilioStandIn({
    accounts: { [f.account]: f.apiToken, [OWN_SID]: OWN_TOKEN },
    incomingNumbers: { [OWN_SID]: OWN_NUMBERS },
    signalwire: f.signalwire,
  });
  const post = (
    gw: GatewayUnderTest,
    route: string,
    params: Record<string, string>,
    signature?: null | string,
  ) =>
    signedTwilioPost(`${gw.localUrl}/webhooks/${gw.id}/${route}`, params, f.signingKey, {
      signUrl: `${gw.publicUrl}/webhooks/${gw.id}/${route}`,
      ...(f.signatureHeader === undefined ? {} : { signatureHeader: f.signatureHeader }),
      ...(signature === undefined ? {} : { signature }),
    });
  const inboundParams = (p: InboundPost): Record<string, string> => {
    const media = p.mediaUrls ?? [];
    return {
      AccountSid: f.account,
      MessageSid: p.id,
      From: p.from,
      To: p.to,
      Body: p.body,
      NumMedia: String(media.length),
      NumSegments: "1",
      SmsStatus: "received",
      ApiVersion: "2010-04-01",
      ...Object.fromEntries(
        media.flatMap((url, i) => [
          [`MediaUrl${i}`, url],
          [`MediaContentType${i}`, "image/jpeg"],
        ]),
      ),
    };
  };
  const status = (gw: GatewayUnderTest, sent: SentMessage, state: string, errorCode?: string) =>
    post(gw, "status", {
      AccountSid: f.account,
      MessageSid: sent.providerId,
      SmsSid: sent.providerId,
      MessageStatus: state,
      SmsStatus: state,
      From: sent.from,
      ApiVersion: "2010-04-01",
      ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
    });
  return {
    gateway: f.gateway(standIn.baseUrl),
    env: f.env,
    owner: { address: OWNER },
    contact: () => freshUsNumber(),
    attempts: () => standIn.requests.filter((r) => r.path.endsWith("/Messages.json")).map(sentOf),
    permanentError() {
      standIn.enqueueResponse({ status: 400, code: 21211, message: "LOCAL: no such phone number" });
      return { to: "+15557009001", reason: /21211.*LOCAL: no such phone number/ };
    },
    retryableError(seconds) {
      standIn.enqueueResponse({ status: 429, retryAfterSeconds: seconds });
    },
    postInbound: async (gw, p) => (await post(gw, "message", inboundParams(p))).status,
    postUnsigned: async (gw, p, how) =>
      (await post(gw, "message", inboundParams(p), how === "missing" ? null : "bm90IGEgc2lnbmF0dXJl")).status,
    async reportDelivered(gw, sent) {
      const res = await status(gw, sent, "delivered");
      if (res.status !== 200) throw new Error(`status callback answered ${res.status}`);
    },
    failure: {
      to: () => freshUsNumber(),
      async report(gw, sent) {
        const res = await status(gw, sent, "undelivered", "30003");
        if (res.status !== 200) throw new Error(`status callback answered ${res.status}`);
      },
      reason: /30003.*unreachable destination handset/,
    },
    ...(f.registration ? { registration: f.registration } : {}),
    addresses: SMS_ADDRESSES,
    problems: () => standIn.validationFailures(),
    stop: () => standIn.stop(),
    newId: f.newId,
  };
}

let regCounter = 0;
export const twilioConformance = twilioLikeConformance({
  name: "twilio",
  signalwire: false,
  account: GATEWAY_SID,
  signingKey: GATEWAY_TOKEN,
  apiToken: GATEWAY_TOKEN,
  newId: newSid,
  gateway: (baseUrl) => ({
    adapter: "twilio",
    registration: { mode: "self-service" },
    twilio: { accountSid: GATEWAY_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: baseUrl },
  }),
  env: { TWILIO_TOKEN: GATEWAY_TOKEN },
  registration: {
    good: () => ({
      number: OWN_NUMBERS[regCounter++ % OWN_NUMBERS.length] ?? "",
      accountSid: OWN_SID,
      authToken: OWN_TOKEN,
    }),
    bad: () => ({ number: OWN_NUMBERS[0] ?? "", accountSid: OWN_SID, authToken: "a-wrong-token-0000" }),
    badCondition: "not-authorized",
  },
});
