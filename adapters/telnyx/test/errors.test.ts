import { describe, expect, it } from "vitest";
import { OptedOutError, PermanentError, RetryableError } from "../../../src/core/errors.js";
import { ProviderHttpError, ProviderNetworkError } from "../../provider-kit/index.js";
import { deliveryErrorCondition, describeDeliveryError, mapHttpFailure, toSendError } from "../errors.js";

const NOW = Date.UTC(2026, 0, 1);

describe("Telnyx send errors -> XMPP conditions", () => {
  // Every code the issue names: HTTP status, Telnyx code, the error class, condition and text.
  const table = [
    {
      status: 400,
      code: 10002,
      cls: PermanentError,
      condition: "item-not-found",
      text: /^Telnyx error 10002: invalid phone number$/,
    },
    {
      status: 400,
      code: 10016,
      cls: PermanentError,
      condition: "jid-malformed",
      text: /^Telnyx error 10016: the phone number must be in \+E\.164 format$/,
    },
    {
      status: 400,
      code: 40310,
      cls: PermanentError,
      condition: "item-not-found",
      text: /^Telnyx error 40310: invalid 'to' address$/,
    },
    {
      status: 400,
      code: 40300,
      cls: OptedOutError,
      condition: "forbidden",
      text: /^Telnyx error 40300: the recipient has opted out \(replied STOP\) \(the recipient replied STOP; they can text START/,
    },
    {
      status: 400,
      code: 40305,
      cls: PermanentError,
      condition: "not-authorized",
      text: /^Telnyx error 40305: invalid 'from' address \(the sending number is not one this Telnyx account may send from\)$/,
    },
    {
      status: 401,
      code: 10009,
      cls: PermanentError,
      condition: "internal-server-error",
      text: /^Telnyx error 10009: authentication failed \(the gateway's Telnyx API key was refused; the operator must fix it\)$/,
    },
    {
      status: 401,
      code: undefined,
      cls: PermanentError,
      condition: "internal-server-error",
      text: /^Telnyx error 10009: authentication failed/,
    },
    {
      status: 422,
      code: 99999,
      cls: PermanentError,
      condition: "not-acceptable",
      text: /^Telnyx error 99999: request refused with HTTP 422$/,
    },
  ] as const;

  it.each(table)("HTTP $status code $code -> $condition", ({ status, code, cls, condition, text }) => {
    const err = mapHttpFailure({ status, ...(code === undefined ? {} : { code }) }, NOW);
    expect(err).toBeInstanceOf(cls);
    expect(err).not.toBeInstanceOf(RetryableError);
    const permanent = err as PermanentError;
    expect(permanent.condition).toBe(condition);
    expect(permanent.message).toMatch(text);
  });

  it("prefers Telnyx's own text and keeps the hint", () => {
    const err = mapHttpFailure({
      status: 400,
      code: 40305,
      providerMessage: "The 'from' number is not on your account.",
    });
    expect(err.message).toBe(
      "Telnyx error 40305: The 'from' number is not on your account. (the sending number is not one this Telnyx account may send from)",
    );
  });

  it("429 / 10011 retries after x-ratelimit-reset (seconds or Unix time)", () => {
    const inSeconds = mapHttpFailure({ status: 429, code: 10011, retryAfter: "7" }, NOW);
    expect(inSeconds).toBeInstanceOf(RetryableError);
    expect((inSeconds as RetryableError).retryAfterMs).toBe(7000);
    expect(inSeconds.message).toBe("Telnyx error 10011 (HTTP 429)");
    const at = mapHttpFailure({ status: 429, retryAfter: String(NOW / 1000 + 12) }, NOW);
    expect((at as RetryableError).retryAfterMs).toBe(12_000);
    expect((at as RetryableError).providerCode).toBe(10011);
  });

  it.each([500, 502, 503, 504, 408])("HTTP %i retries", (status) => {
    expect(mapHttpFailure({ status }, NOW)).toBeInstanceOf(RetryableError);
  });

  it("timeouts and network errors retry, without naming the gateway's hosts to the sender", () => {
    const timeout = toSendError(
      new ProviderNetworkError("Telnyx", "connect to 10.0.0.1:443 timed out", "UND_ERR_HEADERS_TIMEOUT"),
    );
    expect(timeout).toBeInstanceOf(RetryableError);
    expect((timeout as RetryableError).userReason).toBe("Telnyx did not answer in time");
    expect(toSendError(new ProviderNetworkError("Telnyx", "refused", "ECONNREFUSED"))).toBeInstanceOf(
      RetryableError,
    );
    expect(toSendError(new ProviderHttpError("Telnyx", 400, 40300, undefined, undefined))).toBeInstanceOf(
      OptedOutError,
    );
  });
});

describe("Telnyx delivery-report errors", () => {
  const table = [
    {
      code: "40001",
      condition: "not-acceptable",
      text: "Telnyx error 40001: the recipient is a landline or a number that cannot receive SMS",
    },
    {
      code: "40002",
      condition: "policy-violation",
      text: "Telnyx error 40002: blocked as spam (temporarily)",
    },
    { code: "40003", condition: "policy-violation", text: "Telnyx error 40003: blocked as spam" },
    {
      code: "40006",
      condition: "recipient-unavailable",
      text: "Telnyx error 40006: the recipient's network is unavailable",
    },
    { code: "40008", condition: "item-not-found", text: "Telnyx error 40008: the message is undeliverable" },
    {
      code: "40300",
      condition: "forbidden",
      text: "Telnyx error 40300: the recipient has opted out (replied STOP)",
    },
  ] as const;

  it.each(table)("$code -> $condition", ({ code, condition, text }) => {
    expect(deliveryErrorCondition(code)).toBe(condition);
    expect(describeDeliveryError(code, "delivery_failed")).toBe(text);
  });

  it("an unknown code is named with Telnyx's title, or the status", () => {
    expect(deliveryErrorCondition("49999")).toBe("undefined-condition");
    expect(describeDeliveryError("49999", "delivery_failed", "Something odd")).toBe(
      "Telnyx error 49999: Something odd",
    );
    expect(describeDeliveryError("49999", "sending_failed")).toBe(
      "Telnyx error 49999: message sending_failed",
    );
    expect(describeDeliveryError(undefined, "delivery_unconfirmed")).toBe(
      "Telnyx reports the message as delivery_unconfirmed",
    );
  });
});
