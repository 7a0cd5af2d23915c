/**
 * An SMS-shaped adapter whose every send is answered by a script: a provider id, or an error to
 * throw (given the message, so a test can answer by body). It records what it was asked to send.
 */
import { smsCapabilities } from "../../adapters/sms-kit/index.js";
import type { NetworkAdapter, OutboundMessage } from "../../src/core/adapter.js";

export function scriptedAdapter(
  answer: (msg: OutboundMessage) => string | Error,
): NetworkAdapter & { sent: OutboundMessage[] } {
  const sent: OutboundMessage[] = [];
  return {
    sent,
    kind: "scripted",
    ...smsCapabilities(),
    capabilities: {
      gatewayType: "sms",
      maxBodyLength: 100_000,
      deliveryReports: false,
      media: false,
      maxMedia: 0,
    },
    parseAddress: (l) => l,
    formatAddress: (a) => a,
    send: async (msg) => {
      sent.push(msg);
      const a = answer(msg);
      if (a instanceof Error) throw a;
      return { providerMessageId: a };
    },
  };
}
