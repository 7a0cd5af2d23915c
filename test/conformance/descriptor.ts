/**
 * What the conformance suite needs to know about an adapter: how to start its stand-in, the
 * gateway config for it, and how to make the stand-in play the network (post an inbound message,
 * a delivery or failure report, a forged webhook; answer a permanent or a retryable error).
 * One descriptor per adapter, listed in adapters.ts; the suite (conformance.test.ts) runs the same
 * checks for each. A hook left out means the network has no such thing (no webhooks, no
 * bring-your-own registration): `notApplicable` says why, so nothing is left out silently.
 */
import type { Address } from "../../src/core/adapter.js";
import type { AdapterEntry } from "../../src/main.js";

/** One send that reached the network (or its stand-in), in the network's terms. */
export interface SentMessage {
  readonly to: Address;
  readonly from: Address;
  readonly body: string;
  readonly mediaUrls: readonly string[];
  /** The provider's id for it ("" when the network refused it). */
  readonly providerId: string;
  /** When the network received it (Date.now()). */
  readonly at: number;
}

/** An inbound message the network delivers to the gateway. */
export interface InboundPost {
  readonly id: string;
  readonly from: Address;
  readonly to: Address;
  readonly body: string;
  readonly mediaUrls?: readonly string[];
}

/** Where the gateway under test listens, for stand-ins that post webhooks to it. */
export interface GatewayUnderTest {
  readonly id: string;
  /** Base URL webhooks are posted to. */
  readonly localUrl: string;
  /** The configured public URL, which signatures are made for. */
  readonly publicUrl: string;
}

/** Checks a descriptor may leave out; each needs a reason. */
export type OptionalCheck =
  | "retryable"
  | "webhooks"
  | "registration"
  /** Sends media (as media, or as links the network shows). */
  | "media"
  /** Inbound media delivered as XEP-0066 OOB. */
  | "inboundMedia"
  /** A delivery report becomes a XEP-0184 receipt (else the check that none is claimed runs). */
  | "receipts";

export interface RunningStandIn {
  /** The gateway block beside id, domain and secret: `adapter`, its `<kind>:` block, `registration`. */
  readonly gateway: Record<string, unknown>;
  readonly env?: Record<string, string>;
  /** Registry entries handed to the gateway (an adapter defined under test/, or a wrapped one). */
  readonly adapters?: Readonly<Record<string, AdapterEntry<unknown>>>;
  /**
   * The owner's own address on the network. Bound by the gateway config (`users`), or, with
   * `register`, by the owner registering in-band with these values (bring-your-own networks).
   */
  readonly owner: { readonly address: Address; readonly register?: Readonly<Record<string, string>> };
  /** A fresh provider message id, in the provider's own format. */
  newId(): string;
  /** A fresh contact address per call: tests do not share conversations. */
  contact(): Address;
  /** Every send attempt that reached the network, in order. */
  attempts(): readonly SentMessage[];
  /** Arranges that the next send to the returned address fails for good with a reason matching `reason`. */
  permanentError(): { readonly to: Address; readonly reason: RegExp };
  /** Arranges that the next send is answered "try again after `seconds`" once, then accepted. */
  retryableError?(seconds: number): void;
  /** The network delivers a message to the gateway; resolves with the HTTP status (200 in-process). */
  postInbound(gw: GatewayUnderTest, p: InboundPost): Promise<number>;
  /** The same as a webhook with a forged or with no signature; resolves with the HTTP status. */
  postUnsigned?(gw: GatewayUnderTest, p: InboundPost, how: "forged" | "missing"): Promise<number>;
  /** The network reports `sent` delivered (a no-op where it does so by itself). */
  reportDelivered(gw: GatewayUnderTest, sent: SentMessage): Promise<void>;
  /** A contact whose messages are accepted and then reported failed, with a reason matching `reason`. */
  readonly failure: {
    to(): Address;
    report(gw: GatewayUnderTest, sent: SentMessage): Promise<void>;
    readonly reason: RegExp;
  };
  /** Bring-your-own registration: fresh good values, bad values, and the condition bad ones get. */
  readonly registration?: {
    good(): Record<string, string>;
    bad(): Record<string, string>;
    readonly badCondition: string;
  };
  /** JID localpart <-> network address pairs, and localparts that are no address. */
  readonly addresses: {
    readonly valid: readonly (readonly [localpart: string, address: Address])[];
    readonly invalid: readonly string[];
  };
  /** What the stand-in found wrong with the requests it got (Twilio: OpenAPI violations); [] when all was well. */
  problems?(): readonly string[];
  stop(): Promise<void>;
}

export interface ConformanceAdapter {
  /** Also the gateway id, and `<name>.localhost` its component domain. */
  readonly name: string;
  /** False when the stand-in cannot run here (Twilio without ../shared/twilio-oai). */
  available(): boolean;
  /** Why a check is not run for this adapter: the network has no such thing. */
  readonly notApplicable: Partial<Record<OptionalCheck, string>>;
  start(): Promise<RunningStandIn>;
}
