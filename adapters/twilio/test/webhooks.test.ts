import crypto from "node:crypto";
import twilio from "twilio";
import { describe, expect, it, vi } from "vitest";
import {
  WebhookAuthError,
  WebhookInputError,
  type WebhookRequest,
  type WebhookRoute,
} from "../../../src/core/adapter.js";
import { createTwilioWebhooks } from "../webhooks.js";
import { ACCOUNT_SID, AUTH_TOKEN, silentLogger } from "./helpers.js";

const BASE = "https://gw.example.org/webhooks/sms";
const MESSAGE_URL = `${BASE}/message`;
const STATUS_URL = `${BASE}/status`;
const SM_SID = `SM${"0123456789abcdef".repeat(2)}`;
const MM_SID = `MM${"fedcba9876543210".repeat(2)}`;

type Form = Record<string, string | string[]>;

const routes = createTwilioWebhooks(AUTH_TOKEN, silentLogger());

function route(path: string): WebhookRoute {
  const found = routes.find((r) => r.path === path);
  if (!found) throw new Error(`no route ${path}`);
  return found;
}

function sign(url: string, form: Form, token = AUTH_TOKEN): string {
  return twilio.getExpectedTwilioSignature(token, url, form);
}

function request(url: string, form: Form, signature: string | undefined): WebhookRequest {
  return {
    publicUrl: url,
    headers: signature === undefined ? {} : { "x-twilio-signature": signature },
    form,
    rawBody: new URLSearchParams(
      Object.entries(form).flatMap(([k, v]): [string, string][] =>
        Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
      ),
    ).toString(),
  };
}

function signed(url: string, form: Form): WebhookRequest {
  return request(url, form, sign(url, form));
}

const sms: Form = {
  ToCountry: "US",
  SmsMessageSid: SM_SID,
  NumMedia: "0",
  SmsSid: SM_SID,
  SmsStatus: "received",
  Body: "Hi there",
  To: "+15550001111",
  NumSegments: "1",
  MessageSid: SM_SID,
  AccountSid: ACCOUNT_SID,
  From: "+15557654321",
  ApiVersion: "2010-04-01",
};

describe("Twilio webhook signatures", () => {
  it("accepts a correctly signed inbound message", async () => {
    const result = await route("message").handle(signed(MESSAGE_URL, sms));
    expect(result.events).toEqual([
      {
        kind: "message",
        providerMessageId: SM_SID,
        from: "+15557654321",
        to: "+15550001111",
        body: "Hi there",
        mediaUrls: [],
      },
    ]);
    expect(result.ack).toEqual({
      status: 200,
      contentType: "text/xml",
      body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    });
  });

  it("reads the header whatever its case", async () => {
    const req = { ...signed(MESSAGE_URL, sms), headers: { "X-Twilio-Signature": sign(MESSAGE_URL, sms) } };
    expect((await route("message").handle(req)).events).toHaveLength(1);
  });

  it("refuses a missing signature", async () => {
    await expect(route("message").handle(request(MESSAGE_URL, sms, undefined))).rejects.toThrow(
      WebhookAuthError,
    );
    await expect(route("message").handle(request(MESSAGE_URL, sms, ""))).rejects.toThrow(WebhookAuthError);
  });

  it("refuses a signature made with another auth token", async () => {
    const forged = sign(MESSAGE_URL, sms, "not-the-token");
    await expect(route("message").handle(request(MESSAGE_URL, sms, forged))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("refuses garbage in the header", async () => {
    await expect(route("message").handle(request(MESSAGE_URL, sms, "bm9wZQ=="))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("refuses a request signed for another URL", async () => {
    const other = sign("https://evil.example.net/webhooks/sms/message", sms);
    await expect(route("message").handle(request(MESSAGE_URL, sms, other))).rejects.toThrow(WebhookAuthError);
    const statusSig = sign(STATUS_URL, sms);
    await expect(route("message").handle(request(MESSAGE_URL, sms, statusSig))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("refuses a field changed after signing", async () => {
    const signature = sign(MESSAGE_URL, sms);
    const tampered = { ...sms, Body: "Send me your password" };
    await expect(route("message").handle(request(MESSAGE_URL, tampered, signature))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("refuses a field added after signing", async () => {
    const signature = sign(MESSAGE_URL, sms);
    const extended = { ...sms, MediaUrl0: "https://evil.example.net/x.jpg" };
    await expect(route("message").handle(request(MESSAGE_URL, extended, signature))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("refuses a field removed after signing", async () => {
    const signature = sign(MESSAGE_URL, sms);
    const { ToCountry: _dropped, ...reduced } = sms;
    await expect(route("message").handle(request(MESSAGE_URL, reduced, signature))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("refuses a second, different value of a signed key", async () => {
    const signature = sign(MESSAGE_URL, sms);
    const repeated = { ...sms, Body: ["Hi there", "evil"] };
    await expect(route("message").handle(request(MESSAGE_URL, repeated, signature))).rejects.toThrow(
      WebhookAuthError,
    );
  });

  it("validateRequest signs each distinct value of a repeated key, sorted", async () => {
    expect(sign(MESSAGE_URL, { K: ["b", "a", "b"] })).toBe(sign(MESSAGE_URL, { K: ["a", "b"] }));
    expect(sign(MESSAGE_URL, { K: ["a"] })).toBe(sign(MESSAGE_URL, { K: "a" }));
    expect(sign(MESSAGE_URL, { K: ["a", "b"] })).not.toBe(sign(MESSAGE_URL, { K: "a" }));
  });

  it("refuses a repeated identical value that the signature cannot see as malformed input", async () => {
    const signature = sign(MESSAGE_URL, sms);
    const repeated = { ...sms, Body: ["Hi there", "Hi there"] };
    await expect(route("message").handle(request(MESSAGE_URL, repeated, signature))).rejects.toThrow(
      WebhookInputError,
    );
  });

  it("signs fields Twilio adds without notice (verified over every field received)", async () => {
    const withNew = { ...sms, SomeNewField: "x" };
    expect((await route("message").handle(signed(MESSAGE_URL, withNew))).events).toHaveLength(1);
  });

  it("costs one HMAC for a genuine request to a URL with a port, and still takes the other forms", async () => {
    const withPort = "https://gw.example.org:8443/webhooks/sms/message";
    const genuine = signed(withPort, sms);
    const hmacs = vi.spyOn(crypto, "createHmac");
    try {
      expect((await route("message").handle(genuine)).events).toHaveLength(1);
      // twilio.validateRequest alone tried the URL without its port first: two.
      expect(hmacs).toHaveBeenCalledTimes(1);
    } finally {
      hmacs.mockRestore();
    }
    // Signed without the port (a form validateRequest accepts): taken by the fallback.
    const bare = request(withPort, sms, sign("https://gw.example.org/webhooks/sms/message", sms));
    expect((await route("message").handle(bare)).events).toHaveLength(1);
  });

  it("checks the status route too, before parsing", async () => {
    const form = { MessageSid: SM_SID, MessageStatus: "delivered" };
    const forged = sign(STATUS_URL, form, "wrong");
    await expect(route("status").handle(request(STATUS_URL, form, forged))).rejects.toThrow(WebhookAuthError);
    await expect(route("status").handle(request(STATUS_URL, {}, undefined))).rejects.toThrow(
      WebhookAuthError,
    );
  });
});

describe("Twilio inbound message parsing", () => {
  it("collects MMS media MediaUrl0..N-1", async () => {
    const mms: Form = {
      ...sms,
      MessageSid: MM_SID,
      Body: "",
      NumMedia: "2",
      MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MM_SID}/Media/ME1`,
      MediaContentType0: "image/jpeg",
      MediaUrl1: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MM_SID}/Media/ME2`,
      MediaContentType1: "image/png",
    };
    const [event] = (await route("message").handle(signed(MESSAGE_URL, mms))).events;
    expect(event).toMatchObject({
      kind: "message",
      providerMessageId: MM_SID,
      body: "",
      mediaUrls: [mms.MediaUrl0, mms.MediaUrl1],
    });
  });

  it("defaults a missing Body to the empty string", async () => {
    const { Body: _body, ...noBody } = sms;
    const [event] = (await route("message").handle(signed(MESSAGE_URL, noBody))).events;
    expect(event).toMatchObject({ body: "" });
  });

  it.each([
    ["a short code", "72345"],
    ["an alphanumeric sender id", "ACME Bank"],
  ])("keeps %s sender raw", async (_what, from) => {
    const [event] = (await route("message").handle(signed(MESSAGE_URL, { ...sms, From: from }))).events;
    expect(event).toMatchObject({ from });
  });

  it("keeps characters XML forbids in Body and From for the XMPP side to replace, and a number intact", async () => {
    const hostile = { ...sms, Body: "form\u000cfeed\u0001\ufffe", From: "AC\u000cME" };
    const [event] = (await route("message").handle(signed(MESSAGE_URL, hostile))).events;
    expect(event).toMatchObject({ body: "form\u000cfeed\u0001\ufffe", from: "AC\u000cME" });
    const [number] = (await route("message").handle(signed(MESSAGE_URL, sms))).events;
    expect(number).toMatchObject({ from: "+15557654321" });
  });

  it("hands media URLs on as the URL standard serializes them: control characters percent-encoded", async () => {
    const form = {
      ...sms,
      NumMedia: "2",
      MediaUrl0: "https://m.example/a\u000cb\u0001c\ufffe.jpg",
      MediaUrl1: "https://m.example/ok.jpg",
    };
    const [event] = (await route("message").handle(signed(MESSAGE_URL, form))).events;
    expect(event).toMatchObject({
      mediaUrls: ["https://m.example/a%0Cb%01c%EF%BF%BE.jpg", "https://m.example/ok.jpg"],
    });
  });

  it.each<[string, Form, string]>([
    ["missing MessageSid", { ...sms, MessageSid: undefined as unknown as string }, "MessageSid"],
    ["a MessageSid of the wrong shape", { ...sms, MessageSid: "SM123" }, "MessageSid"],
    ["a call sid", { ...sms, MessageSid: `CA${"0".repeat(32)}` }, "MessageSid"],
    ["missing From", { ...sms, From: undefined as unknown as string }, "From"],
    ["empty To", { ...sms, To: "" }, "To"],
    ["a repeated Body", { ...sms, Body: ["Hi there", "Hi there"] }, "Body"],
    ["NumMedia that is not a number", { ...sms, NumMedia: "two" }, "NumMedia"],
    ["NumMedia above 10", { ...sms, NumMedia: "11" }, "NumMedia"],
    [
      "a MediaUrl missing for NumMedia",
      { ...sms, NumMedia: "2", MediaUrl0: "https://x.example/1" },
      "MediaUrl1",
    ],
    ["a MediaUrl that is not a URL", { ...sms, NumMedia: "1", MediaUrl0: "not a url" }, "MediaUrl0"],
    ["a From longer than any sender", { ...sms, From: "x".repeat(257) }, "From"],
  ])("refuses %s as WebhookInputError naming the field", async (_what, form, field) => {
    const clean = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined));
    const handle = () => route("message").handle(signed(MESSAGE_URL, clean));
    await expect(handle()).rejects.toThrow(WebhookInputError);
    await expect(handle()).rejects.toThrow(field);
  });
});

describe("Twilio status callbacks", () => {
  const base = {
    AccountSid: ACCOUNT_SID,
    From: "+15550001111",
    To: "+15557654321",
    MessageSid: SM_SID,
    SmsSid: SM_SID,
    ApiVersion: "2010-04-01",
  };

  it("reports delivered", async () => {
    const form = { ...base, MessageStatus: "delivered", SmsStatus: "delivered" };
    const result = await route("status").handle(signed(STATUS_URL, form));
    expect(result.events).toEqual([{ kind: "status", providerMessageId: SM_SID, status: "delivered" }]);
    expect(result.ack).toEqual({ status: 200, contentType: "text/plain", body: "" });
  });

  it.each(["undelivered", "failed"])(
    "reports %s with the error code and a readable reason",
    async (status) => {
      const form = { ...base, MessageStatus: status, ErrorCode: "30003" };
      const [event] = (await route("status").handle(signed(STATUS_URL, form))).events;
      expect(event).toEqual({
        kind: "status",
        providerMessageId: SM_SID,
        status: "failed",
        errorCode: "30003",
        reason: "Twilio error 30003: unreachable destination handset (switched off or out of coverage)",
        condition: "recipient-unavailable",
      });
    },
  );

  it("reports a failure without an error code", async () => {
    const form = { ...base, MessageStatus: "failed", ErrorCode: "" };
    const [event] = (await route("status").handle(signed(STATUS_URL, form))).events;
    expect(event).toEqual({
      kind: "status",
      providerMessageId: SM_SID,
      status: "failed",
      reason: "Twilio reports the message as failed",
      condition: "undefined-condition",
    });
  });

  it.each([
    ["STOP", "stop"],
    ["start", "start"],
  ])("passes OptOutType %s on as an opt-out event", async (type, optOut) => {
    const form = { ...sms, OptOutType: type, Body: type };
    const [event] = (await route("message").handle(signed(MESSAGE_URL, form))).events;
    expect(event).toMatchObject({ kind: "message", optOut });
  });

  it("takes OptOutType HELP as no opt-out change", async () => {
    const form = { ...sms, OptOutType: "HELP", Body: "help" };
    const [event] = (await route("message").handle(signed(MESSAGE_URL, form))).events;
    expect(event).not.toHaveProperty("optOut");
  });

  it.each(["queued", "sending", "sent", "accepted", "scheduled", "read", "receiving", "received"])(
    "ignores the intermediate status %s",
    async (status) => {
      const result = await route("status").handle(signed(STATUS_URL, { ...base, MessageStatus: status }));
      expect(result.events).toEqual([]);
      expect(result.ack.status).toBe(200);
    },
  );

  it.each<[string, Form]>([
    ["missing MessageStatus", { ...base }],
    ["a bad MessageSid", { ...base, MessageSid: "nope", MessageStatus: "delivered" }],
    ["a non-numeric ErrorCode", { ...base, MessageStatus: "failed", ErrorCode: "abc" }],
  ])("refuses %s as WebhookInputError", async (_what, form) => {
    await expect(route("status").handle(signed(STATUS_URL, form))).rejects.toThrow(WebhookInputError);
  });
});

describe("webhooks of self-service users' own Twilio accounts", () => {
  const USER_SID = `AC${"9".repeat(32)}`;
  const USER_TOKEN = "user-own-auth-token";
  const owned: Record<string, Record<string, string>> = {
    "+15550002222": { accountSid: USER_SID, authToken: USER_TOKEN },
    "+15550003333": { accountSid: `AC${"8".repeat(32)}`, authToken: "someone-else" },
  };
  const userRoutes = createTwilioWebhooks(AUTH_TOKEN, silentLogger(), async (n) => owned[n]);
  const userRoute = (path: string) => {
    const found = userRoutes.find((r) => r.path === path);
    if (!found) throw new Error(path);
    return found;
  };
  const form = (to: string, accountSid = USER_SID) => ({ ...sms, AccountSid: accountSid, To: to });

  it("checks a message to a user's own number with that account's token", async () => {
    const f = form("+15550002222");
    const result = await userRoute("message").handle(
      request(MESSAGE_URL, f, sign(MESSAGE_URL, f, USER_TOKEN)),
    );
    expect(result.events).toHaveLength(1);
  });

  it("refuses a user's token for a number of another account, or a number nobody registered", async () => {
    const other = form("+15550003333");
    await expect(
      userRoute("message").handle(request(MESSAGE_URL, other, sign(MESSAGE_URL, other, USER_TOKEN))),
    ).rejects.toThrow(WebhookAuthError);
    const nobody = form("+15550009999");
    await expect(
      userRoute("message").handle(request(MESSAGE_URL, nobody, sign(MESSAGE_URL, nobody, USER_TOKEN))),
    ).rejects.toThrow(WebhookAuthError);
  });

  it("still checks the gateway's own account with the gateway's token", async () => {
    const f = form("+15550001111", ACCOUNT_SID);
    const result = await userRoute("message").handle(
      request(MESSAGE_URL, f, sign(MESSAGE_URL, f, AUTH_TOKEN)),
    );
    expect(result.events).toHaveLength(1);
  });

  it("checks a status callback by the sender's (From) number and says which account signed it", async () => {
    const f = {
      AccountSid: USER_SID,
      From: "+15550002222",
      To: "+15557654321",
      MessageSid: SM_SID,
      MessageStatus: "delivered",
    };
    const result = await userRoute("status").handle(request(STATUS_URL, f, sign(STATUS_URL, f, USER_TOKEN)));
    expect(result.events).toEqual([
      { kind: "status", providerMessageId: SM_SID, status: "delivered", signedBy: USER_SID },
    ]);
  });

  it("says nothing of the signer for a status callback checked with the gateway's token", async () => {
    const f = {
      AccountSid: ACCOUNT_SID,
      From: "+15550001111",
      MessageSid: SM_SID,
      MessageStatus: "delivered",
    };
    const [event] = (
      await userRoute("status").handle(request(STATUS_URL, f, sign(STATUS_URL, f, AUTH_TOKEN)))
    ).events;
    expect(event).toEqual({ kind: "status", providerMessageId: SM_SID, status: "delivered" });
  });

  it("does not let a user's token deliver a message To another user's number (From her own)", async () => {
    // User B (+15550002222) signs with her own token a message from her number to A's number.
    const f = { ...sms, AccountSid: USER_SID, From: "+15550002222", To: "+15550003333" };
    await expect(
      userRoute("message").handle(request(MESSAGE_URL, f, sign(MESSAGE_URL, f, USER_TOKEN))),
    ).rejects.toThrow(WebhookAuthError);
    // Nor To an operator-provisioned number or one nobody holds.
    const toGateway = { ...f, To: "+15550001111" };
    await expect(
      userRoute("message").handle(request(MESSAGE_URL, toGateway, sign(MESSAGE_URL, toGateway, USER_TOKEN))),
    ).rejects.toThrow(WebhookAuthError);
  });

  it("does not let a user's token sign a status callback From another user's number", async () => {
    const f = {
      AccountSid: USER_SID,
      From: "+15550003333",
      To: "+15550002222",
      MessageSid: SM_SID,
      MessageStatus: "undelivered",
      ErrorCode: "30003",
    };
    await expect(
      userRoute("status").handle(request(STATUS_URL, f, sign(STATUS_URL, f, USER_TOKEN))),
    ).rejects.toThrow(WebhookAuthError);
  });
});
