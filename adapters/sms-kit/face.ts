/** How an SMS network looks in XMPP: a gateway of type "sms", contacts that are phones. */
import type { NetworkFace } from "../../src/core/adapter.js";
import { formatForHumans } from "./phone.js";

export const smsFace: NetworkFace = {
  identityType: "sms",
  networkName: "SMS",
  addressLabel: "Phone number",
  addressDescription: "Enter the phone number of the contact you want to text.",
  ownAddressHint: "In international form, e.g. +15550001111",
  contactIdentity: { category: "client", type: "phone" },
  formatForHumans,
};
