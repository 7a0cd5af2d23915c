/** How email looks in XMPP: disco identity gateway/smtp, the XEP-0100 prompt, form labels. */
import type { Capabilities, NetworkFace } from "../../src/core/adapter.js";

export const EMAIL_FACE: NetworkFace = {
  identityType: "smtp",
  networkName: "Email",
  addressLabel: "Email address",
  addressDescription: "Enter the email address of the contact you want to write to.",
  ownAddressHint: "The email address you send from and receive on, e.g. alice@mail.example.org",
  // No registry type names a mailbox; a contact is someone at a computer.
  contactIdentity: { category: "client", type: "pc" },
  // bob@example.com is the contact bob\40example.com: XEP-0106 says to advertise jid\20escaping.
  escapedAddresses: true,
};

/**
 * One mail per message (no `text` capability: nothing is split or counted in segments), no
 * opt-out keywords (no `optOut`: an email saying "Stop" is just an email), media as links in the
 * body. `deliveryReports`: bounces come back as failures; nothing ever reports "delivered" (a
 * relay's 250 is not delivery), so no XEP-0184 receipt is claimed.
 */
export const EMAIL_CAPABILITIES: Capabilities = {
  gatewayType: "smtp",
  maxBodyLength: 100_000,
  deliveryReports: true,
  deliveryReceipts: false,
  media: true,
  maxMedia: 10,
  mediaUrlSchemes: ["https", "http"],
  // Attachments of inbound mail are listed by name and size in the text, never media URLs.
  inboundMedia: false,
};
