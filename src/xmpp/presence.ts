/**
 * Presence of the gateway and its contacts (XEP-0100 style):
 * - probes are answered: available for registered users of allowed domains, unavailable otherwise;
 * - subscription requests (to the gateway or a contact) from allowed users are approved with
 *   `subscribed` followed by `available`; from anyone else they are refused with `unsubscribed`;
 * - an available presence from a registered user (the server forwards it once the gateway is
 *   subscribed) is answered with the gateway's available presence, once per session;
 * - after a registration the gateway asks to subscribe to the user; on unregistration it says
 *   unavailable and drops both subscriptions; on shutdown it says unavailable to everyone it told
 *   it was available, before the stream closes.
 *
 * What it remembers is capped (PRESENCE_LIMITS), per user and in total, oldest out. A contact
 * capped out loses only its unavailable presence on shutdown or unregistration (the user's client
 * may show it available until the server or client notices); a session capped out is greeted
 * again if it sends presence again.
 */
import type { Element } from "@xmpp/component";
import { CappedSets } from "../core/capped-sets.js";
import type { FeatureContext } from "./feature-context.js";
import { answerPresence, type PresenceState, presenceStanza } from "./presence-answer.js";

export interface PresenceService {
  /** Handles a presence stanza addressed to the gateway or a contact. */
  onPresence(el: Element): Promise<void>;
  /** After a registration: the gateway asks to see the user's presence (and shows its own). */
  registered(bareJid: string): Promise<void>;
  /** After an unregistration: unavailable, unsubscribe and unsubscribed from the gateway. */
  unregistered(bareJid: string): Promise<void>;
  /** On (re)connect: probe every registered user so the gateway's presence gets back to them. */
  probeAll(): Promise<void>;
  /** Before the stream closes: unavailable to everyone who saw us available. */
  goodbye(): Promise<void>;
}

/** About 400 bytes each: the total caps are some 20 MB of contacts and 20 MB of sessions. */
export const PRESENCE_LIMITS = {
  contactsPerUser: 1_000,
  total: 50_000,
  sessionsPerUser: 20,
  sessionsTotal: 50_000,
} as const;

export function presenceService(ctx: FeatureContext): PresenceService {
  const { transport, logger } = ctx;
  const domain = transport.domain;
  /** bare user JID -> the JIDs (gateway and contacts) it was told are available. */
  const shown = new CappedSets(PRESENCE_LIMITS.contactsPerUser, PRESENCE_LIMITS.total);
  /** bare user JID -> full JIDs of its sessions the gateway has greeted. */
  const sessions = new CappedSets(PRESENCE_LIMITS.sessionsPerUser, PRESENCE_LIMITS.sessionsTotal);

  const send = async (el: Element) => {
    try {
      await transport.send(el);
    } catch (err) {
      logger.debug({ err: { message: (err as Error).message } }, "presence not sent");
    }
  };
  const presence = presenceStanza;
  const markShown = (user: string, from: string) => shown.add(user, from);
  const state: PresenceState = { ctx, domain, shown, sessions, send };

  return {
    onPresence: (el) => answerPresence(state, el),
    async registered(bare) {
      await send(presence(domain, bare, "subscribe"));
      markShown(bare, domain);
      await send(presence(domain, bare));
    },
    async unregistered(bare) {
      const froms = new Set([...shown.values(bare), domain]);
      for (const from of froms) await send(presence(from, bare, "unavailable"));
      shown.deleteKey(bare);
      sessions.deleteKey(bare);
      await send(presence(domain, bare, "unsubscribe"));
      await send(presence(domain, bare, "unsubscribed"));
    },
    async probeAll() {
      sessions.clear();
      const users = await ctx.registrations.list(ctx.gatewayId);
      for (const u of users) await send(presence(domain, u.jid, "probe"));
    },
    async goodbye() {
      if (!transport.online) return;
      const users = new Set([
        ...shown.keys(),
        ...(await ctx.registrations.list(ctx.gatewayId)).map((u) => u.jid),
      ]);
      for (const user of users) {
        const froms = new Set([...shown.values(user), domain]);
        for (const from of froms) await send(presence(from, user, "unavailable"));
      }
      shown.clear();
      sessions.clear();
    },
  };
}
