/**
 * Errors shared by the core, the queue workers and every adapter.
 *
 * An adapter's `send` throws PermanentError (never retried) or RetryableError (retried with
 * backoff, honouring retryAfterMs). Anything else thrown is treated as retryable.
 */

import { z } from "zod";

/**
 * The XMPP stanza error conditions the gateway uses to refuse or report (RFC 6120 section 8.3.3),
 * each with the error type it is sent with. The one list: the type, the schema of queued errors and
 * the stanzas are all derived from it.
 */
export const CONDITION_TYPES = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "undefined-condition": "cancel",
} as const satisfies Record<string, "auth" | "cancel" | "modify" | "wait">;

export type RefusalCondition = keyof typeof CONDITION_TYPES;

export const refusalConditionSchema = z.enum(
  Object.keys(CONDITION_TYPES) as [RefusalCondition, ...RefusalCondition[]],
);

/**
 * A refusal the sender must hear about: an XMPP condition plus a human-readable text. The one
 * error class for "condition + text": thrown by the core, the adapters and the iq handlers alike
 * (an iq handler that throws one is answered with that error).
 */
export class Refusal extends Error {
  override readonly name: string = "Refusal";
  constructor(
    readonly condition: RefusalCondition,
    message: string,
  ) {
    super(message);
  }
}

/** The provider said no for good (bad number, opted-out recipient, ...). Never retried. */
export class PermanentError extends Refusal {
  override readonly name: string = "PermanentError";
  constructor(
    message: string,
    readonly providerCode?: string | number,
    condition: RefusalCondition = "not-acceptable",
  ) {
    super(condition, message);
  }
}

/** The recipient opted out of the sender's number (replied STOP): permanent until they opt in. */
export class OptedOutError extends PermanentError {
  override readonly name = "OptedOutError";
  constructor(message: string, providerCode?: string | number) {
    super(message, providerCode, "forbidden");
  }
}

/**
 * A passing fault (429, 5xx, network): retry later, no sooner than retryAfterMs when given. The
 * message is for operators (it may name internal hosts and addresses); `userReason`, when given,
 * is what the sender may be told once the attempts run out (a generic reason otherwise).
 */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly providerCode?: string | number,
    readonly userReason?: string,
  ) {
    super(message);
  }
}

/** A localpart that is not an address of the network (e.g. not a valid phone number). */
export class AddressError extends Refusal {
  override readonly name = "AddressError";
  constructor(message: string) {
    super("jid-malformed", message);
  }
}
