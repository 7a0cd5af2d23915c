/**
 * XEP-0077 in-band registration with a XEP-0004 form, on the gateway's domain.
 * - get: instructions and the form (the adapter's fields); `<registered/>` and the number when
 *   the user already has one.
 * - set with a submitted form: self-service mode only; checked with the provider, one number per
 *   user (registering again replaces it), a number held by someone else is a conflict.
 * - set with `<remove/>`: drops the user's binding (provisioned bindings stay in provisioned mode).
 * Only users of allowed domains may register (forbidden otherwise).
 */
import { type Element, xml } from "@xmpp/component";
import {
  registrationFields,
  registrationInstructions,
  selfRegister,
  selfUnregister,
} from "../../core/enrolment.js";
import { Refusal } from "../../core/errors.js";
import { requester, requireUser } from "../access.js";
import { type FeatureContext, targetOf } from "../feature-context.js";
import { dataForm, findForm, submittedValues } from "../forms.js";
import { NS } from "../namespaces.js";
import type { PresenceService } from "../presence.js";

export function registrationForm(ctx: FeatureContext, current?: { address: string }): Element {
  return dataForm({
    type: "form",
    formType: NS.register,
    title: `Register with ${ctx.name}`,
    instructions: registrationInstructions(ctx),
    fields: registrationFields(ctx).map((f) => ({
      var: f.name,
      type: f.kind === "secret" ? ("text-private" as const) : ("text-single" as const),
      label: f.label,
      ...(f.description ? { desc: f.description } : {}),
      required: true,
      ...(f.name === "number" && current ? { value: current.address } : {}),
    })),
  });
}

export function handleRegister(ctx: FeatureContext, presence: PresenceService): void {
  const { transport } = ctx;

  const onlyGateway = (stanza: Element) => {
    if (targetOf(stanza, ctx).kind !== "gateway") {
      throw new Refusal("service-unavailable", "Register with the gateway itself, not with a contact.");
    }
  };

  transport.handleIq("get", NS.register, "query", async (stanza) => {
    onlyGateway(stanza);
    const r = requester(stanza, ctx);
    requireUser(r);
    const current = await ctx.registrations.byJid(ctx.gatewayId, r.bare);
    return xml(
      "query",
      { xmlns: NS.register },
      current ? xml("registered") : null,
      xml("instructions", {}, registrationInstructions(ctx)),
      current ? xml("username", {}, current.address) : null,
      registrationForm(ctx, current),
    );
  });

  transport.handleIq("set", NS.register, "query", async (stanza): Promise<true> => {
    onlyGateway(stanza);
    const r = requester(stanza, ctx);
    requireUser(r);
    const query = stanza.getChild("query", NS.register);
    if (!query) throw new Refusal("bad-request", "Missing query.");
    if (query.getChild("remove")) {
      await selfUnregister(ctx, r.bare);
      ctx.logger.info({ jid: r.bare }, "user unregistered");
      await presence.unregistered(r.bare);
      return true;
    }
    const form = findForm(query);
    const values = form ? submittedValues(form) : legacyValues(query);
    if (!values) throw new Refusal("bad-request", "Submit the registration form (type submit).");
    const registration = await selfRegister(ctx, r.bare, values);
    ctx.logger.info({ jid: r.bare, number: registration.address }, "user registered");
    await presence.registered(r.bare);
    return true;
  });
}

/** Clients without data forms send XEP-0077 fields: <phone/> (or <username/>) as the number. */
function legacyValues(query: Element): Record<string, string> | undefined {
  const number = query.getChildText("phone") ?? query.getChildText("username");
  return number === null ? undefined : { number };
}
