/** The provider kit's mapping, with a made-up provider's table: one mapping for every provider. */
import { describe, expect, it } from "vitest";
import { OptedOutError, PermanentError, RetryableError } from "../../../src/core/errors.js";
import {
  asNetworkError,
  ProviderHttpError,
  ProviderNetworkError,
  parseRetryAfter,
  sendErrors,
} from "../index.js";

const NOW = Date.UTC(2026, 0, 1);

const acme = sendErrors({
  name: "Acme",
  sendErrors: {
    100: { reason: "bad number", condition: "item-not-found" },
    101: { reason: "key refused", hint: "the operator must fix it", condition: "internal-server-error" },
    102: { reason: "opted out", condition: "forbidden" },
  },
  retryableCodes: new Set([199]),
  optOutCode: 102,
  codeOfStatus: { 401: 101 },
  retryAfterMs: parseRetryAfter,
  failureOf: (err) =>
    "acmeStatus" in err && typeof err.acmeStatus === "number" ? { status: err.acmeStatus } : undefined,
});

describe("sendErrors", () => {
  it.each([
    [{ status: 400, code: 100 }, PermanentError, "item-not-found", "Acme error 100: bad number"],
    [
      { status: 401 },
      PermanentError,
      "internal-server-error",
      "Acme error 101: key refused (the operator must fix it)",
    ],
    [
      { status: 400, code: 102, providerMessage: "unsubscribed" },
      OptedOutError,
      "forbidden",
      "Acme error 102: unsubscribed",
    ],
    [
      { status: 404 },
      PermanentError,
      "not-acceptable",
      "Acme error (HTTP 404): request refused with HTTP 404",
    ],
  ] as const)("maps %o to a permanent error with condition and text", (failure, type, condition, text) => {
    const err = acme.mapHttpFailure(failure, NOW);
    expect(err).toBeInstanceOf(type);
    expect((err as PermanentError).condition).toBe(condition);
    expect(err.message).toBe(text);
  });

  it("retries 408, 429, 5xx and the provider's slow-down codes, after its delay", () => {
    for (const status of [408, 429, 500, 503])
      expect(acme.mapHttpFailure({ status }, NOW)).toBeInstanceOf(RetryableError);
    const slow = acme.mapHttpFailure(
      { status: 400, code: 199, retryAfter: "4", providerMessage: "slow down" },
      NOW,
    );
    expect(slow).toBeInstanceOf(RetryableError);
    expect((slow as RetryableError).retryAfterMs).toBe(4000);
    expect((slow as RetryableError).userReason).toBe("Acme error 199 (HTTP 400): slow down");
  });

  it("maps what an HTTP client threw, the network's failures, other errors and anything else", () => {
    expect(acme.toSendError(new ProviderHttpError("Acme", 400, 100, undefined, undefined))).toBeInstanceOf(
      PermanentError,
    );
    const refused = asNetworkError(
      "Acme",
      Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), { code: "ECONNREFUSED" }),
    );
    expect(refused).toBeInstanceOf(ProviderNetworkError);
    expect((acme.toSendError(refused) as RetryableError).userReason).toBe("Acme could not be reached");
    const timeout = acme.toSendError(
      new ProviderNetworkError("Acme", "no answer", "UND_ERR_HEADERS_TIMEOUT"),
    );
    expect((timeout as RetryableError).userReason).toBe("Acme did not answer in time");
    expect(acme.toSendError({ acmeStatus: 401 })).toBeInstanceOf(PermanentError);
    expect(acme.toSendError("weird").message).toBe("Acme send failed: weird");
    const plain = new Error("no code");
    expect(asNetworkError("Acme", plain)).toBe(plain);
  });
});
