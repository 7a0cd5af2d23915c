/**
 * The loopback adapter: a minimal network whose addresses are not phone numbers
 * (`bob@example.com`, as the JID `bob\40example.com@loop.example.org`), with a JSON API, JSON
 * webhooks signed with HMAC-SHA256, delivery reports, media and bring-your-own registration.
 * Defined only under test/, it imports nothing but src/core: the proof that a network is one
 * folder (see adapters/README.md).
 */
import type { AdapterDeps, Capabilities, NetworkAdapter, NetworkFace } from "../../../src/core/adapter.js";
import { formatLoopAddress, parseLoopLocalpart } from "./address.js";
import { type LoopbackConfig, loopbackConfigSchema } from "./config.js";
import { loopRegistration } from "./registration.js";
import { sendToLoop } from "./send.js";
import { loopWebhook } from "./webhooks.js";

export { type LoopbackConfig, loopbackConfigSchema } from "./config.js";

export const LOOPBACK_CAPABILITIES: Capabilities = {
  gatewayType: "loop",
  maxBodyLength: 4000,
  deliveryReports: true,
  media: true,
  maxMedia: 4,
};

export const LOOPBACK_FACE: NetworkFace = {
  identityType: "loop",
  networkName: "Loop",
  addressLabel: "Loop address",
  addressDescription: "The loop address of the contact, e.g. bob@example.com.",
  ownAddressHint: "Your own loop address, e.g. alice@example.com",
  contactIdentity: { category: "account", type: "registered" },
};

export function createLoopbackAdapter(input: LoopbackConfig, deps: AdapterDeps): NetworkAdapter {
  const config = loopbackConfigSchema.parse(input);
  const logger = deps.logger.child({ adapter: "loopback" });
  return {
    kind: "loopback",
    capabilities: LOOPBACK_CAPABILITIES,
    face: LOOPBACK_FACE,
    parseAddress: parseLoopLocalpart,
    formatAddress: formatLoopAddress,
    async send(msg, account) {
      const result = await sendToLoop(config, msg, account);
      logger.debug({ messageId: msg.messageId, id: result.providerMessageId }, "sent via the loop network");
      return result;
    },
    webhooks: [loopWebhook(config.webhookSecret)],
    registration: loopRegistration(config),
  };
}
