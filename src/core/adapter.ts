/**
 * The adapter contract: what every network adapter (Twilio, simulator, ...) implements.
 * Adapters are stateless translators; dedup, routing, ordering and storage live in the core.
 */
import type { InboundEvent } from "./inbound-events.js";
import type { Logger } from "./logger.js";
import type { ThreadStore } from "./threads.js";
import type { WebhookRoute } from "./webhook-route.js";

export * from "./inbound-events.js";
export * from "./webhook-route.js";

/** A network address in the adapter's canonical form, e.g. E.164 "+15551234567". */
export type Address = string;

/**
 * How the network looks in XMPP (DESIGN.md 3): the disco identity of the gateway, the XEP-0100
 * prompt, the label of the address field in registration forms and commands, and the identity of
 * contact JIDs. Every string the core shows about an address comes from here.
 */
export interface NetworkFace {
  /** XEP-0030 identity of the gateway: category "gateway", this type (registry: "sms", "smtp", ...). */
  readonly identityType: string;
  /** Human name of the network, e.g. "SMS" or "Email" (disco identity name: "<name> gateway"). */
  readonly networkName: string;
  /** XEP-0100 <prompt> and the address field's label in forms and commands, e.g. "Phone number". */
  readonly addressLabel: string;
  /** XEP-0100 <desc>: one sentence on what to type for a contact, e.g. "Enter the phone number of ...". */
  readonly addressDescription: string;
  /** Shown under the user's own address in registration forms, e.g. "In international form, e.g. +1...". */
  readonly ownAddressHint?: string;
  /** XEP-0030 identity of a contact JID (SMS: client/phone). */
  readonly contactIdentity: { readonly category: string; readonly type: string };
  /** An address as people read it in texts the gateway writes (SMS: "+1 555 123 4567"). */
  formatForHumans?(address: Address): string;
  /**
   * Contacts' JID localparts are XEP-0106-escaped addresses (email: `bob\40example.com`): the
   * gateway's disco#info then advertises the `jid\20escaping` feature.
   */
  readonly escapedAddresses?: boolean;
}

/**
 * Text limits and splitting: the network caps one provider message and may bill per unit (SMS
 * segments). Absent: a message is one part of at most `Capabilities.maxBodyLength` characters.
 */
export interface TextCapability {
  /** Split text longer than maxPartLength into parts of at most that many characters. */
  split(text: string, maxPartLength: number): string[];
  /** Billable units of one part (SMS segments) and whether the part used a costlier encoding. */
  units(part: string): { readonly count: number; readonly costlier: boolean };
  /** The unit's name in texts to users, singular ("SMS segment"), and its short name ("segment"). */
  readonly unitName: string;
  readonly unitShortName: string;
  /** What one part is called in texts to users, singular ("text message"). */
  readonly partName: string;
  /** Why a costlier part costs more, shown when the unit cap is hit (may be empty). */
  readonly costlierWhy: string;
}

/**
 * Opt-out keywords the network's carriers honour (SMS STOP/START). Absent: no text ever opts
 * anyone out (an email saying "Stop" is just an email).
 */
export interface OptOutCapability {
  keyword(body: string): "stop" | "start" | undefined;
  /** What the sender is told when the recipient has opted out of the sender's address. */
  optedOutText(recipient: Address, sender: Address): string;
}

/**
 * XEP-0308 corrections: how a correction is marked on a network that cannot edit (SMS). Absent:
 * a correction goes out as it is, a new message.
 */
export interface CorrectionCapability {
  mark(text: string): string;
  /** Why a correction cannot edit what was sent, for the refusal when corrections are refused. */
  readonly whyNot: string;
}

/**
 * Destination rules of the network (SMS: premium-rate and satellite numbers refused, allowed
 * countries). Throws a Refusal saying why the address may not be sent to.
 */
export interface DestinationCapability {
  checkDestination(address: Address): void;
}

/**
 * A listener that receives events other than by webhook (an SMTP server, the simulator's socket).
 * The core starts it in the role that takes inbound traffic (webhooks) and closes it on stop.
 */
export interface InboundListener {
  /**
   * What it listens on and the option of the gateway's config block that says so, e.g.
   * { address: "127.0.0.1:2525", option: "email.listen" }, for a start-up error that names both.
   */
  readonly listen?: { readonly address: string; readonly option: string };
  /** Binds; rejects with the socket's error (EADDRINUSE ...) when it cannot. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** One extra XEP-0050 ad-hoc command the adapter offers on the gateway JID. */
export interface AdapterCommand {
  readonly node: string;
  readonly name: string;
  /** Run it for `user` (bare JID) with the submitted form values; resolves with a note to show. */
  run(user: string, values: Readonly<Record<string, string>>): Promise<string>;
  readonly fields: readonly RegistrationField[];
}

export interface Capabilities {
  /** Service discovery type of the gateway identity; kept for older adapters: `face.identityType` is used. */
  readonly gatewayType: string;
  /** Largest body the provider accepts in one message, in characters. */
  readonly maxBodyLength: number;
  /** Whether the adapter reports delivery (status events). */
  readonly deliveryReports: boolean;
  /**
   * Whether a report can say "delivered", so a XEP-0184 receipt can follow (default:
   * deliveryReports). False for a network that reports failures only (email bounces).
   */
  readonly deliveryReceipts?: boolean;
  /** Media (MMS) support: outbound media are sent (as media, or as links the network shows). */
  readonly media: boolean;
  /**
   * Whether inbound messages carry media URLs, delivered as XEP-0066 OOB (default: media).
   * False for a network that tells of what it received otherwise (email lists attachments).
   */
  readonly inboundMedia?: boolean;
  readonly maxMedia: number;
  /** URL schemes the network can fetch media from (default https and http). */
  readonly mediaUrlSchemes?: readonly string[];
}

/** The provider account a message is sent from. Opaque to the core beyond `number`. */
export interface Account {
  /** The sender's own number on the network (E.164 for SMS). */
  readonly number: Address;
  /**
   * The user's own provider credentials (bring-your-own registrations), as the adapter's
   * RegistrationSpec returned them; absent for operator-provisioned numbers (the gateway's account).
   */
  readonly credentials?: Readonly<Record<string, string>>;
}

/** One field of a registration form (XEP-0077 / XEP-0050 data forms). */
export interface RegistrationField {
  /** Field name (the data form's `var`). */
  readonly name: string;
  readonly label: string;
  /** "secret": a password-like field, never shown back or logged. */
  readonly kind: "text" | "secret";
  readonly description?: string;
}

/** What a bring-your-own registration yields: the user's number and what to send with. */
export interface VerifiedAccount {
  readonly number: Address;
  readonly credentials?: Readonly<Record<string, string>>;
}

/**
 * Bring-your-own registration: the fields a user fills in and how the adapter checks them with
 * the provider. `number` is always one of the fields. `verify` throws a Refusal saying why not.
 */
export interface RegistrationSpec {
  /** One or two sentences shown above the form. */
  readonly instructions: string;
  readonly fields: readonly RegistrationField[];
  verify(values: Readonly<Record<string, string>>): Promise<VerifiedAccount>;
  /**
   * A stable, non-secret name of the provider account `credentials` (as `verify` returned them)
   * belong to, e.g. Twilio's AccountSid. Queued messages remember it (a message accepted for one
   * account is never sent with another), and webhook routes name the same account as `signedBy`.
   */
  accountOf?(credentials: Readonly<Record<string, string>>): string;
}

export interface OutboundMessage {
  /** Recipient on the network, canonical form (already validated by parseAddress). */
  readonly to: Address;
  /** The sender's own number on the network. */
  readonly from: Address;
  readonly body: string;
  readonly mediaUrls: readonly string[];
  /** Where the provider should post delivery reports, when it supports them. */
  readonly statusCallbackUrl?: string;
  /** Stable id of this message inside the gateway (the job id), for logs and idempotency keys. */
  readonly messageId: string;
  /** The XMPP <subject/> the user gave, for networks with subjects (email); others ignore it. */
  readonly subject?: string;
  /** The sender's display name (her XEP-0172 nick in the stanza), for networks that show one. */
  readonly senderName?: string;
}

export interface SendResult {
  readonly providerMessageId: string;
}

export interface AdapterDeps {
  readonly logger: Logger;
  /** For adapters that receive events other than by webhook (the simulator): enqueue them. */
  readonly emit: (events: InboundEvent[]) => Promise<void>;
  /**
   * The stored provider credentials of the user who owns `number` (self-service registrations),
   * e.g. to check a webhook the provider signed with that user's own account. Such credentials
   * vouch only for their own number: what the user's number received (inbound To), or reports on
   * what it sent (naming the account as `signedBy`).
   */
  readonly ownCredentials?: (number: Address) => Promise<Readonly<Record<string, string>> | undefined>;
  /**
   * Whether `address` is bound to a user of this gateway (by the config, an admin or the user's
   * own registration), e.g. for a listener that must refuse mail for anyone else. Rejects when
   * the registrations cannot be read (answer "try again later", never "no such user").
   */
  readonly isRegistered?: (address: Address) => Promise<boolean>;
  /** Reply threading state per (user, contact), for networks that thread replies (email). */
  readonly threads?: ThreadStore;
}

export interface NetworkAdapter {
  readonly kind: string;
  readonly capabilities: Capabilities;
  /** How the network looks in XMPP (disco, XEP-0100, form labels, contact identity). */
  readonly face: NetworkFace;
  /** Optional capabilities, detected at run time; absent means the network has no such thing. */
  readonly text?: TextCapability;
  readonly optOut?: OptOutCapability;
  readonly corrections?: CorrectionCapability;
  readonly destinations?: DestinationCapability;
  readonly listeners?: readonly InboundListener[];
  readonly commands?: readonly AdapterCommand[];
  /** JID localpart -> canonical network address; throws AddressError when it is not one. */
  parseAddress(localpart: string): Address;
  /** Canonical network address -> JID localpart. */
  formatAddress(address: Address): string;
  /** Send one message; throws PermanentError or RetryableError. */
  send(msg: OutboundMessage, account: Account): Promise<SendResult>;
  readonly webhooks?: readonly WebhookRoute[];
  /** Bring-your-own registration (self-service mode); without it only the number is asked. */
  readonly registration?: RegistrationSpec;
  /**
   * Checks the operator's provider credentials with the provider (`check-config --connect`):
   * resolves with a one-line description of the account, throws a Refusal saying why not.
   */
  checkAccount?(): Promise<string>;
  /** Release timers and connections. */
  close?(): Promise<void>;
}
