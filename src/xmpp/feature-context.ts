/** What the component's iq and presence features share: one gateway's identity, rules and stores. */
import type { NetworkAdapter } from "../core/adapter.js";
import type { EnrolmentContext } from "../core/enrolment.js";
import type { Logger } from "../core/logger.js";
import type { AccessRules } from "./access.js";
import type { ComponentTransport } from "./component-transport.js";
import { parseJid } from "./jid.js";

export interface FeatureContext extends AccessRules, EnrolmentContext {
  readonly transport: ComponentTransport;
  readonly adapter: NetworkAdapter;
  /** Shown in service discovery. */
  readonly name: string;
  readonly logger: Logger;
}

export type Target =
  | { readonly kind: "gateway" }
  | { readonly kind: "contact"; readonly address: string; readonly jid: string }
  | { readonly kind: "invalid"; readonly reason: string };

/** What a stanza's `to` names: the gateway itself, a contact (a network address) or nothing valid. */
export function targetOf(stanza: { attrs: Record<string, string | undefined> }, ctx: FeatureContext): Target {
  const parts = parseJid(stanza.attrs.to ?? "");
  if (!parts || parts.domain !== ctx.transport.domain) return { kind: "invalid", reason: "not this gateway" };
  if (!parts.local) return { kind: "gateway" };
  try {
    const address = ctx.adapter.parseAddress(parts.local);
    return { kind: "contact", address, jid: `${ctx.adapter.formatAddress(address)}@${parts.domain}` };
  } catch (err) {
    return { kind: "invalid", reason: (err as Error).message };
  }
}
