import { afterEach, describe, expect, it } from "vitest";
import type { NetworkAdapter, OutboundMessage } from "../../../src/core/adapter.js";
import { PermanentError, RetryableError } from "../../../src/core/errors.js";
import { createTwilioAdapter } from "../index.js";
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  type CannedAnswer,
  closedPort,
  type FakeTwilio,
  messageResource,
  type RecordedRequest,
  startFakeTwilio,
  testDeps,
} from "./helpers.js";

const SID = `SM${"a".repeat(32)}`;
const FROM = "+15550001111";
const TO = "+15557654321";
const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;

const message: OutboundMessage = {
  to: TO,
  from: FROM,
  body: "hello from xmpp",
  mediaUrls: [],
  statusCallbackUrl: "https://gw.example.org/webhooks/sms/status",
  messageId: "job-1",
};

let fake: FakeTwilio | undefined;
let adapter: NetworkAdapter | undefined;

afterEach(async () => {
  await adapter?.close?.();
  await fake?.close();
  adapter = undefined;
  fake = undefined;
});

async function setup(
  answer: (req: RecordedRequest) => CannedAnswer | null,
  opts: { basePath?: string; requestTimeoutMs?: number } = {},
): Promise<{ adapter: NetworkAdapter; fake: FakeTwilio }> {
  fake = await startFakeTwilio(answer);
  adapter = createTwilioAdapter(
    {
      gatewayId: "sms",
      defaultRegion: "US",
      numberCheck: "possible",
      twilio: {
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        apiBaseUrl: `${fake.url}${opts.basePath ?? ""}`,
        requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
      },
    },
    testDeps(),
  );
  return { adapter, fake };
}

const created = (req: RecordedRequest): CannedAnswer => ({
  status: 201,
  body: messageResource(SID, req.form),
});

async function sendError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected send to fail");
}

describe("Twilio send() against a local stand-in", () => {
  it("POSTs the message form to the account's Messages.json with Basic auth and returns the sid", async () => {
    const { adapter, fake } = await setup(created);
    const result = await adapter.send(message, { number: FROM });

    expect(result).toEqual({ providerMessageId: SID });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(MESSAGES_PATH);
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`,
    );
    expect(req?.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(req?.form.get("To")).toBe(TO);
    expect(req?.form.get("From")).toBe(FROM);
    expect(req?.form.get("Body")).toBe("hello from xmpp");
    expect(req?.form.get("StatusCallback")).toBe("https://gw.example.org/webhooks/sms/status");
    expect(req?.form.has("MediaUrl")).toBe(false);
  });

  it("sends the account's number as From, repeats MediaUrl, and omits empty optional fields", async () => {
    const { adapter, fake } = await setup(created);
    await adapter.send(
      {
        to: TO,
        from: FROM,
        body: "",
        mediaUrls: ["https://files.example.org/a.jpg", "https://files.example.org/b.png"],
        messageId: "job-2",
      },
      { number: "+15559998888" },
    );
    const form = fake.requests[0]?.form;
    expect(form?.get("From")).toBe("+15559998888");
    expect(form?.getAll("MediaUrl")).toEqual([
      "https://files.example.org/a.jpg",
      "https://files.example.org/b.png",
    ]);
    expect(form?.has("Body")).toBe(false);
    expect(form?.has("StatusCallback")).toBe(false);
  });

  it("keeps a path prefix of apiBaseUrl (Twilio-compatible providers)", async () => {
    const { adapter, fake } = await setup(created, { basePath: "/api/laml/" });
    await adapter.send(message, { number: FROM });
    expect(fake.requests[0]?.path).toBe(`/api/laml${MESSAGES_PATH}`);
  });

  it("maps 400 with Twilio code 21211 to a PermanentError naming the code and Twilio's text", async () => {
    const { adapter } = await setup(() => ({
      status: 400,
      body: {
        code: 21211,
        message: "The 'To' number +15557654321 is not a valid phone number.",
        more_info: "https://www.twilio.com/docs/errors/21211",
        status: 400,
      },
    }));
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(PermanentError);
    const permanent = err as PermanentError;
    expect(permanent.providerCode).toBe(21211);
    expect(permanent.condition).toBe("item-not-found");
    expect(permanent.message).toBe(
      "Twilio error 21211: The 'To' number +15557654321 is not a valid phone number.",
    );
  });

  it("maps 429 with Retry-After: 2 to a RetryableError of 2000 ms", async () => {
    const { adapter, fake } = await setup(() => ({
      status: 429,
      headers: { "Retry-After": "2" },
      body: { code: 20429, message: "Too Many Requests", status: 429 },
    }));
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(2000);
    expect((err as RetryableError).providerCode).toBe(20429);
    expect(fake.requests).toHaveLength(1); // no SDK auto-retry
  });

  it("maps 500 to a RetryableError", async () => {
    const { adapter } = await setup(() => ({ status: 500, body: { message: "boom" } }));
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBeUndefined();
  });

  it("maps 401 to a PermanentError the operator must fix", async () => {
    const { adapter } = await setup(() => ({
      status: 401,
      body: { code: 20003, message: "Authenticate", status: 401 },
    }));
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).condition).toBe("internal-server-error");
    expect((err as PermanentError).message).toContain("Twilio error 20003: Authenticate");
  });

  it("refuses a 2xx answer without a sid as permanent (retrying could send twice)", async () => {
    const { adapter } = await setup(() => ({ status: 201, body: { status: "queued" } }));
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(PermanentError);
  });

  it("maps a request timeout to a RetryableError", async () => {
    const { adapter } = await setup(() => null, { requestTimeoutMs: 100 });
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(RetryableError);
  });

  it("maps connection refused to a RetryableError", async () => {
    const port = await closedPort();
    adapter = createTwilioAdapter(
      {
        gatewayId: "sms",
        numberCheck: "possible",
        twilio: {
          accountSid: ACCOUNT_SID,
          authToken: AUTH_TOKEN,
          apiBaseUrl: `http://127.0.0.1:${port}`,
          requestTimeoutMs: 5000,
        },
      },
      testDeps(),
    );
    const err = await sendError(adapter.send(message, { number: FROM }));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).providerCode).toBe("ECONNREFUSED");
  });
});
