/** One send to the loop network's API, its answer mapped to the core's errors. */
import type { Account, OutboundMessage, SendResult } from "../../../src/core/adapter.js";
import { PermanentError, type RefusalCondition, RetryableError } from "../../../src/core/errors.js";
import type { LoopbackConfig } from "./config.js";
import { errorBodySchema, type SendRequest, sentSchema } from "./wire.js";

/** Conditions of the network's permanent error codes; any other 4xx is not-acceptable. */
const CONDITIONS: Readonly<Record<string, RefusalCondition>> = {
  "no-such-mailbox": "item-not-found",
  "mailbox-closed": "recipient-unavailable",
};

async function readError(res: Response): Promise<{ code: string; message: string }> {
  const parsed = errorBodySchema.safeParse(await res.json().catch(() => undefined));
  return parsed.success ? parsed.data.error : { code: `http-${res.status}`, message: `HTTP ${res.status}` };
}

function retryAfterMs(header: string | null): number | undefined {
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : undefined;
}

export async function sendToLoop(
  config: LoopbackConfig,
  msg: OutboundMessage,
  account: Account,
): Promise<SendResult> {
  const request: SendRequest = {
    from: account.number,
    to: msg.to,
    text: msg.body,
    media: [...msg.mediaUrls],
    reference: msg.messageId,
  };
  let res: Response;
  try {
    res = await fetch(`${config.apiUrl.replace(/\/$/, "")}/v1/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${config.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(config.requestTimeoutMs),
    });
  } catch (err) {
    throw new RetryableError(
      `loop network unreachable: ${(err as Error).message}`,
      undefined,
      undefined,
      "the loop network could not be reached",
    );
  }
  if (res.status === 201) {
    const sent = sentSchema.safeParse(await res.json().catch(() => undefined));
    // Accepted (2xx) without an id: retrying could deliver it twice.
    if (!sent.success)
      throw new PermanentError(
        "the loop network accepted the message without an id",
        undefined,
        "internal-server-error",
      );
    return { providerMessageId: sent.data.id };
  }
  const { code, message } = await readError(res);
  const text = `Loop network error ${code}: ${message}`;
  if (res.status === 429 || res.status >= 500) {
    throw new RetryableError(text, retryAfterMs(res.headers.get("retry-after")), code, text);
  }
  throw new PermanentError(text, code, CONDITIONS[code] ?? "not-acceptable");
}
