/**
 * The template adapter: copy this folder to adapters/<network>/, rename "template" everywhere,
 * and replace each `not implemented` with the network's own code (see adapters/README.md). It is
 * not in the registry of src/main.ts and sends nothing: every network-specific member throws.
 */
import type { AdapterDeps, Capabilities, NetworkAdapter, NetworkFace } from "../../src/core/adapter.js";
import { type TemplateConfig, templateConfigSchema } from "./config.js";

export { type TemplateConfig, templateConfigSchema } from "./config.js";

/** What the network can carry. Replace with the provider's real limits. */
export const TEMPLATE_CAPABILITIES: Capabilities = {
  gatewayType: "template",
  maxBodyLength: 1000,
  deliveryReports: false,
  media: false,
  maxMedia: 0,
};

/** How the network looks in XMPP. Replace every string with the network's own words. */
export const TEMPLATE_FACE: NetworkFace = {
  identityType: "template",
  networkName: "Template",
  addressLabel: "Address",
  addressDescription: "The contact's address on the network.",
  ownAddressHint: "Your own address on the network, as the provider writes it.",
  contactIdentity: { category: "client", type: "pc" },
};

/** Thrown by every member still to be written; says what to write there. */
export class NotImplementedError extends Error {
  override readonly name = "NotImplementedError";
  constructor(what: string) {
    super(`not implemented: ${what}`);
  }
}

export function createTemplateAdapter(input: TemplateConfig, deps: AdapterDeps): NetworkAdapter {
  const config = templateConfigSchema.parse(input);
  const logger = deps.logger.child({ adapter: "template" });
  logger.debug({ apiBaseUrl: config.apiBaseUrl }, "template adapter created");
  return {
    kind: "template",
    capabilities: TEMPLATE_CAPABILITIES,
    face: TEMPLATE_FACE,
    parseAddress() {
      throw new NotImplementedError(
        "parseAddress: unescape the localpart (src/core/localpart.ts), check it is an address of the network, return its canonical form, throw AddressError otherwise",
      );
    },
    formatAddress() {
      throw new NotImplementedError(
        "formatAddress: the canonical address as a JID localpart, XEP-0106 escaped (escapeLocalpart)",
      );
    },
    async send() {
      throw new NotImplementedError(
        "send: one provider request from account.number to msg.to with msg.body (and msg.mediaUrls); resolve with the provider's message id, throw PermanentError or RetryableError (with retryAfterMs) as the provider answers",
      );
    },
    // Add what the network has (adapters/README.md, "The contract"): webhooks, registration,
    // text, optOut, corrections, destinations, listeners, commands, checkAccount, close.
  };
}
