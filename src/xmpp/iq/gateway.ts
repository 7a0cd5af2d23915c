/**
 * XEP-0100 jabber:iq:gateway: turns what a person types ("(555) 123-4567") into the contact's
 * JID (+15551234567@sms.example.org), using the adapter's address rules (libphonenumber with the
 * gateway's default region for SMS). Something that is not an address gets bad-request.
 */
import { xml } from "@xmpp/component";
import { z } from "zod";
import { AddressError, Refusal } from "../../core/errors.js";
import type { FeatureContext } from "../feature-context.js";
import { NS } from "../namespaces.js";

const promptSchema = z.string().trim().min(1).max(100);

export function handleGateway(ctx: FeatureContext): void {
  const { transport, adapter } = ctx;

  transport.handleIq("get", NS.gateway, "query", () =>
    xml(
      "query",
      { xmlns: NS.gateway },
      xml("desc", {}, "Enter the phone number of the contact you want to text."),
      xml("prompt", {}, "Phone number"),
    ),
  );

  transport.handleIq("set", NS.gateway, "query", (stanza) => {
    const prompt = promptSchema.safeParse(stanza.getChild("query", NS.gateway)?.getChildText("prompt") ?? "");
    if (!prompt.success) throw new Refusal("bad-request", "Send the phone number in <prompt/>.");
    let address: string;
    try {
      address = adapter.parseAddress(prompt.data);
    } catch (err) {
      if (err instanceof AddressError) throw new Refusal("bad-request", err.message);
      throw err;
    }
    const jid = `${adapter.formatAddress(address)}@${transport.domain}`;
    // <jid/> per XEP-0100 1.0; <prompt/> for clients of the older revision.
    return xml("query", { xmlns: NS.gateway }, xml("jid", {}, jid), xml("prompt", {}, jid));
  });
}
