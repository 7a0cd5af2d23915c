/**
 * Answering a presence stanza addressed to the gateway or a contact (see presence.ts for the rules):
 * probes, subscription requests and answers, and a registered user's available presence.
 */
import { type Element, xml } from "@xmpp/component";
import type { CappedSets } from "../core/capped-sets.js";
import { requester } from "./access.js";
import { type FeatureContext, targetOf } from "./feature-context.js";

/** What the presence service remembers and how it writes, shared with the answers. */
export interface PresenceState {
  readonly ctx: FeatureContext;
  readonly domain: string;
  /** bare user JID -> the JIDs (gateway and contacts) it was told are available. */
  readonly shown: CappedSets;
  /** bare user JID -> full JIDs of its sessions the gateway has greeted. */
  readonly sessions: CappedSets;
  /** Writes a stanza; a failure is logged, never thrown. */
  send(el: Element): Promise<void>;
}

export const presenceStanza = (from: string, to: string, type?: string): Element =>
  xml("presence", { from, to, type });

export async function answerPresence(s: PresenceState, el: Element): Promise<void> {
  const { ctx, domain, shown, sessions, send } = s;
  const markShown = (user: string, from: string) => shown.add(user, from);
  const isRegistered = async (bare: string) =>
    (await ctx.registrations.byJid(ctx.gatewayId, bare)) !== undefined;
  const type = el.attrs.type;
  if (type === "error") return; // never answered
  const r = requester(el, ctx);
  if (!r.bare) return;
  const target = targetOf(el, ctx);
  if (target.kind === "invalid") {
    if (type === "subscribe" || type === "probe")
      await send(presenceStanza(el.attrs.to ?? domain, r.bare, "unsubscribed"));
    return;
  }
  const from = target.kind === "gateway" ? domain : target.jid;
  switch (type) {
    case "probe": {
      const ok = r.allowed && (await isRegistered(r.bare));
      if (ok) markShown(r.bare, from);
      await send(presenceStanza(from, r.bare, ok ? undefined : "unavailable"));
      return;
    }
    case "subscribe": {
      if (!r.allowed) {
        await send(presenceStanza(from, r.bare, "unsubscribed"));
        return;
      }
      await send(presenceStanza(from, r.bare, "subscribed"));
      markShown(r.bare, from);
      await send(presenceStanza(from, r.bare));
      return;
    }
    case "subscribed": {
      // The user approved the gateway's request: show the gateway.
      if (target.kind === "gateway" && r.allowed) {
        markShown(r.bare, from);
        await send(presenceStanza(from, r.bare));
      }
      return;
    }
    case "unsubscribe":
    case "unsubscribed": {
      shown.delete(r.bare, from);
      return;
    }
    case "unavailable": {
      sessions.delete(r.bare, r.full);
      return;
    }
    case undefined: {
      if (target.kind !== "gateway" || !r.allowed || sessions.has(r.bare, r.full)) return;
      if (!(await isRegistered(r.bare))) return;
      sessions.add(r.bare, r.full);
      markShown(r.bare, domain);
      await send(presenceStanza(domain, r.full));
      return;
    }
    default:
      return;
  }
}
