import { describe, expect, it } from "vitest";
import { OptedOutError, PermanentError, RetryableError } from "../../../src/core/errors.js";
import { ProviderHttpError, ProviderNetworkError, parseRetryAfter } from "../../provider-kit/index.js";
import {
  DELIVERY_ERRORS,
  describeDeliveryError,
  mapHttpFailure,
  SEND_ERRORS,
  toSendError,
} from "../errors.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");

describe("Twilio send error table", () => {
  it.each([
    [21211, "item-not-found"],
    [21408, "not-acceptable"],
    [21602, "not-acceptable"],
    [21606, "not-acceptable"],
    [21608, "not-acceptable"],
    [21610, "forbidden"],
    [21612, "not-acceptable"],
    [21614, "not-acceptable"],
    [21617, "not-acceptable"],
    [21619, "not-acceptable"],
    [21635, "not-acceptable"],
    [20003, "internal-server-error"],
  ] as const)("%i is permanent with condition %s and a readable reason", (code, condition) => {
    const err = mapHttpFailure({ status: 400, code }, NOW);
    expect(err).toBeInstanceOf(PermanentError);
    const permanent = err as PermanentError;
    expect(permanent.providerCode).toBe(code);
    expect(permanent.condition).toBe(condition);
    expect(permanent.message.startsWith(`Twilio error ${code}: ${SEND_ERRORS[code]?.reason}`)).toBe(true);
  });

  it("prefers Twilio's own text and keeps the code", () => {
    const err = mapHttpFailure({
      status: 400,
      code: 21211,
      providerMessage: "The 'To' number is not a valid phone number",
    });
    expect(err.message).toBe("Twilio error 21211: The 'To' number is not a valid phone number");
  });

  it("adds the hint for an opted-out recipient", () => {
    const err = mapHttpFailure({
      status: 400,
      code: 21610,
      providerMessage: "Attempt to send to unsubscribed recipient",
    });
    expect(err.message).toContain("Twilio error 21610: Attempt to send to unsubscribed recipient");
    expect(err.message).toContain("START");
    // An OptedOutError, so the gateway records the opt-out and sends nothing more until START.
    expect(err).toBeInstanceOf(OptedOutError);
    expect((err as OptedOutError).condition).toBe("forbidden");
  });

  it("treats a bare 401 as failed authentication (20003)", () => {
    const err = mapHttpFailure({ status: 401 });
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).providerCode).toBe(20003);
    expect((err as PermanentError).condition).toBe("internal-server-error");
  });

  it("keeps an unknown 4xx permanent, with whatever code and text came back", () => {
    const err = mapHttpFailure({ status: 400, code: 21999, providerMessage: "Something new" });
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).condition).toBe("not-acceptable");
    expect(err.message).toBe("Twilio error 21999: Something new");
    const bare = mapHttpFailure({ status: 404 });
    expect(bare).toBeInstanceOf(PermanentError);
    expect(bare.message).toBe("Twilio error (HTTP 404): request refused with HTTP 404");
  });
});

describe("retryable HTTP failures", () => {
  it("maps 429 with Retry-After seconds", () => {
    const err = mapHttpFailure({ status: 429, code: 20429, retryAfter: "2" }, NOW);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(2000);
  });

  it("maps code 20429 whatever the status", () => {
    expect(mapHttpFailure({ status: 400, code: 20429 })).toBeInstanceOf(RetryableError);
  });

  it("maps 429 with Retry-After as an HTTP date", () => {
    const retryAfter = new Date(NOW + 7000).toUTCString();
    const err = mapHttpFailure({ status: 429, retryAfter }, NOW);
    expect((err as RetryableError).retryAfterMs).toBe(7000);
  });

  it.each([408, 500, 502, 503, 504])("maps HTTP %i to RetryableError", (status) => {
    expect(mapHttpFailure({ status }, NOW)).toBeInstanceOf(RetryableError);
  });

  it("honours Retry-After on 503", () => {
    const err = mapHttpFailure({ status: 503, retryAfter: "30" }, NOW);
    expect((err as RetryableError).retryAfterMs).toBe(30_000);
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["2", 2000],
    [" 10 ", 10_000],
    ["0", 0],
    [new Date(NOW + 5000).toUTCString(), 5000],
    [new Date(NOW - 5000).toUTCString(), 0],
    ["soon", undefined],
    ["-3", undefined],
    ["1.5", undefined],
    [undefined, undefined],
  ])("%j -> %j", (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe("toSendError", () => {
  it("maps ProviderHttpError with its Retry-After", () => {
    const err = toSendError(new ProviderHttpError("Twilio", 429, 20429, "Too Many Requests", "3"), NOW);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(3000);
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ECONNABORTED", "ENOTFOUND"])(
    "maps network error %s to RetryableError",
    (code) => {
      const err = toSendError(new ProviderNetworkError("Twilio", `connect ${code}`, code));
      expect(err).toBeInstanceOf(RetryableError);
      expect((err as RetryableError).providerCode).toBe(code);
    },
  );

  it.each([
    ["getaddrinfo ENOTFOUND internal-proxy", "ENOTFOUND", "Twilio could not be reached"],
    ["connect ECONNREFUSED 10.0.0.5:443", "ECONNREFUSED", "Twilio could not be reached"],
    [
      "Connect Timeout Error (attempted address: 10.0.0.5:443)",
      "UND_ERR_CONNECT_TIMEOUT",
      "Twilio did not answer in time",
    ],
  ])("keeps %j for operators and tells the sender %j", (message, code, userReason) => {
    const err = toSendError(new ProviderNetworkError("Twilio", message, code)) as RetryableError;
    expect(err.message).toContain(message);
    expect(err.userReason).toBe(userReason);
  });

  it("tells the sender an HTTP failure as Twilio gave it (status, code, Twilio's text)", () => {
    const err = toSendError(
      new ProviderHttpError("Twilio", 503, undefined, "Service Unavailable", undefined),
      NOW,
    );
    expect((err as RetryableError).userReason).toBe("Twilio HTTP 503: Service Unavailable");
  });

  it("maps an SDK RestException-like error by status and code", () => {
    const restException = Object.assign(new Error("x"), {
      status: 400,
      code: 21614,
      message: "'To' number is not a valid mobile number",
    });
    const err = toSendError(restException);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe("Twilio error 21614: 'To' number is not a valid mobile number");
  });

  it("passes gateway errors through and treats anything else as retryable", () => {
    const permanent = new PermanentError("no");
    expect(toSendError(permanent)).toBe(permanent);
    expect(toSendError(new Error("socket hang up"))).toBeInstanceOf(RetryableError);
    expect(toSendError("weird")).toBeInstanceOf(RetryableError);
  });
});

describe("delivery report error codes", () => {
  it.each([
    ["30003", "unreachable"],
    ["30004", "blocked"],
    ["30005", "unknown"],
    ["30006", "landline"],
    ["30007", "spam"],
    ["30008", "unknown error"],
  ])("%s reads as %s", (code, words) => {
    const reason = describeDeliveryError(code, "undelivered");
    expect(reason.startsWith(`Twilio error ${code}: `)).toBe(true);
    expect(reason).toContain(words);
  });

  it("covers every code of the table", () => {
    for (const [code, text] of Object.entries(DELIVERY_ERRORS)) {
      expect(describeDeliveryError(code, "failed")).toBe(`Twilio error ${code}: ${text}`);
    }
  });

  it("links unknown codes and reads a missing code", () => {
    expect(describeDeliveryError("39999", "failed")).toContain(
      "https://www.twilio.com/docs/api/errors/39999",
    );
    expect(describeDeliveryError(undefined, "failed")).toBe("Twilio reports the message as failed");
  });
});
