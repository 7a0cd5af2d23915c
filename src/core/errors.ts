/**
 * Errors shared by the core, the queue workers and every adapter.
 *
 * An adapter's `send` throws PermanentError (never retried) or RetryableError (retried with
 * backoff, honouring retryAfterMs). Anything else thrown is treated as retryable.
 */

/** XMPP stanza error conditions the gateway uses to refuse or report (RFC 6120 section 8.3.3). */
export type RefusalCondition =
  | "bad-request"
  | "feature-not-implemented"
  | "forbidden"
  | "internal-server-error"
  | "item-not-found"
  | "jid-malformed"
  | "not-acceptable"
  | "not-allowed"
  | "not-authorized"
  | "policy-violation"
  | "recipient-unavailable"
  | "registration-required"
  | "remote-server-not-found"
  | "remote-server-timeout"
  | "resource-constraint"
  | "service-unavailable"
  | "undefined-condition";

/** A refusal the sender must hear about: an XMPP condition plus a human-readable text. */
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
