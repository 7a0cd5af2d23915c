/**
 * Outbound routing rules: may this sender use the gateway, and where does the message go.
 * Pure decisions over the adapter and the registrations; no queue, no XMPP.
 */
import type { NetworkAdapter } from "./adapter.js";
import { Refusal } from "./errors.js";
import { bareJid, type JidParser } from "./jid.js";
import { type AcceptedAccount, acceptedAccount } from "./own-accounts.js";
import type { RegistrationStore } from "./registrations.js";

/** A message a user sent to a contact of the gateway, as decoded from the stanza. */
export interface OutboundRequest {
  readonly stanzaId?: string;
  /** Full JID of the sender (errors go back to it). */
  readonly senderJid: string;
  /** Localpart of the contact JID the user wrote to. */
  readonly contactLocalpart: string;
  /** Its resource, when the user wrote to a full JID (a later error echoes the JID written to). */
  readonly contactResource?: string;
  readonly body: string;
  readonly mediaUrls: readonly string[];
  /** The sender asked for a delivery receipt (XEP-0184). */
  readonly receipt?: boolean;
  /** Id of the message this one corrects (XEP-0308), when it is a correction. */
  readonly replaces?: string;
  /** The stanza's <subject/> (networks with subjects use it). */
  readonly subject?: string;
  /** The sender's XEP-0172 nick in the stanza (networks that show a sender name use it). */
  readonly senderName?: string;
}

/** A message accepted for sending: what a queue job carries. */
export interface RoutedMessage extends OutboundRequest {
  readonly gatewayId: string;
  readonly senderBare: string;
  /** Recipient, canonical network form. */
  readonly to: string;
  /** The sender's own number. */
  readonly from: string;
  /** Which provider account it is accepted for (the sender's own, or the gateway's). */
  readonly account: AcceptedAccount;
}

export interface RoutingContext {
  readonly gatewayId: string;
  readonly allowedDomains: ReadonlySet<string>;
  readonly adapter: NetworkAdapter;
  readonly registrations: RegistrationStore;
  /** The XMPP side's JID parser (the core imports no XMPP library). */
  readonly parseJid: JidParser;
  /** The gateway's destination policy (SMS: destination-policy.ts); throws a Refusal. */
  readonly checkDestination?: (address: string) => void;
}

/** Returns the routed message, or throws a Refusal naming the reason. */
export async function routeOutbound(req: OutboundRequest, ctx: RoutingContext): Promise<RoutedMessage> {
  const sender = ctx.parseJid(req.senderJid);
  if (!sender?.local) throw new Refusal("forbidden", "Only user accounts may use this gateway.");
  if (!ctx.allowedDomains.has(sender.domain)) {
    throw new Refusal("forbidden", `Users of ${sender.domain} may not use this gateway.`);
  }
  const senderBare = bareJid(sender);
  const registration = await ctx.registrations.byJid(ctx.gatewayId, senderBare);
  if (!registration) {
    throw new Refusal(
      "registration-required",
      `${senderBare} has no number on this gateway; ask the operator to bind one to your account.`,
    );
  }
  const to = ctx.adapter.parseAddress(req.contactLocalpart);
  ctx.checkDestination?.(to);
  if (req.body.length === 0 && req.mediaUrls.length === 0) {
    throw new Refusal("bad-request", "The message has no text.");
  }
  const account = acceptedAccount(registration, ctx.adapter.registration?.accountOf);
  return { ...req, gatewayId: ctx.gatewayId, senderBare, to, from: registration.address, account };
}
