/**
 * XEP-0100 jabber:iq:gateway: turns what a person types ("(555) 123-4567") into the contact's
 * JID (+15551234567@sms.example.org), using the adapter's address rules; the prompt and its
 * description are the adapter's face. Something that is not an address gets bad-request.
 */
import { xml } from "@xmpp/component";
import { z } from "zod";
import { addressNoun } from "../../core/enrolment.js";
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
      xml("desc", {}, adapter.face.addressDescription),
      xml("prompt", {}, adapter.face.addressLabel),
    ),
  );

  transport.handleIq("set", NS.gateway, "query", (stanza) => {
    const prompt = promptSchema.safeParse(stanza.getChild("query", NS.gateway)?.getChildText("prompt") ?? "");
    if (!prompt.success)
      throw new Refusal("bad-request", `Send the ${addressNoun(adapter.face)} in <prompt/>.`);
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
