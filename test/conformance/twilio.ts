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
import type { ConformanceAdapter, GatewayUnderTest, InboundPost, SentMessage } from "./descriptor.js";
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

export const twilioConformance: ConformanceAdapter = {
  name: "twilio",
  available: () => twilioSpecPath() !== undefined,
  notApplicable: {},
  async start() {
    const standIn = await startTwilioStandIn({
      accounts: { [GATEWAY_SID]: GATEWAY_TOKEN, [OWN_SID]: OWN_TOKEN },
      incomingNumbers: { [OWN_SID]: OWN_NUMBERS },
    });
    const post = (
      gw: GatewayUnderTest,
      route: string,
      params: Record<string, string>,
      signature?: null | string,
    ) =>
      signedTwilioPost(`${gw.localUrl}/webhooks/${gw.id}/${route}`, params, GATEWAY_TOKEN, {
        signUrl: `${gw.publicUrl}/webhooks/${gw.id}/${route}`,
        ...(signature === undefined ? {} : { signature }),
      });
    const inboundParams = (p: InboundPost): Record<string, string> => {
      const media = p.mediaUrls ?? [];
      return {
        AccountSid: GATEWAY_SID,
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
        AccountSid: GATEWAY_SID,
        MessageSid: sent.providerId,
        SmsSid: sent.providerId,
        MessageStatus: state,
        SmsStatus: state,
        From: sent.from,
        ApiVersion: "2010-04-01",
        ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
      });
    let regCounter = 0;
    return {
      gateway: {
        adapter: "twilio",
        registration: { mode: "self-service" },
        twilio: { accountSid: GATEWAY_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: standIn.baseUrl },
      },
      env: { TWILIO_TOKEN: GATEWAY_TOKEN },
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
        (await post(gw, "message", inboundParams(p), how === "missing" ? null : "bm90IGEgc2lnbmF0dXJl"))
          .status,
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
      registration: {
        good: () => ({
          number: OWN_NUMBERS[regCounter++ % OWN_NUMBERS.length] ?? "",
          accountSid: OWN_SID,
          authToken: OWN_TOKEN,
        }),
        bad: () => ({ number: OWN_NUMBERS[0] ?? "", accountSid: OWN_SID, authToken: "a-wrong-token-0000" }),
        badCondition: "not-authorized",
      },
      addresses: SMS_ADDRESSES,
      problems: () => standIn.validationFailures(),
      stop: () => standIn.stop(),
      newId: newSid,
    };
  },
};
