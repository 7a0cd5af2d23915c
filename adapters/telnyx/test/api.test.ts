/** The HTTP client's failures without an answer: a timeout and a refused connection are retried. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryableError } from "../../../src/core/errors.js";
import { freePort } from "../../../test/harness/ports.js";
import { telnyxKeyPair } from "../../../test/harness/telnyx-events.js";
import { testDeps } from "../../twilio/test/helpers.js";
import { createTelnyxAdapter } from "../index.js";

const msg = { to: "+15557654321", from: "+15550001111", body: "x", mediaUrls: [], messageId: "job" };
const adapterAt = (apiBaseUrl: string) =>
  createTelnyxAdapter(
    {
      gatewayId: "tx",
      numberCheck: "possible",
      telnyx: { apiKey: "KEY", publicKey: telnyxKeyPair().publicKey, apiBaseUrl, requestTimeoutMs: 300 },
    },
    testDeps(),
  );

describe("Telnyx HTTP failures without an answer", () => {
  const silent = http.createServer(() => {
    // never answers
  });
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("a send Telnyx does not answer in time is retryable, told to the sender without hosts", async () => {
    const adapter = adapterAt(url);
    const err = await adapter.send(msg, { number: msg.from }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).userReason).toBe("Telnyx did not answer in time");
    await adapter.close?.();
  });

  it("a refused connection is retryable", async () => {
    const adapter = adapterAt(`http://127.0.0.1:${await freePort()}`);
    const err = await adapter.send(msg, { number: msg.from }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).userReason).toBe("Telnyx could not be reached");
    await adapter.close?.();
  });
});
