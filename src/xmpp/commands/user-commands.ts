/** Commands every user of an allowed domain gets: register a number (self-service), unregister. */
import { addressNoun, anAddress, selfRegister, selfUnregister } from "../../core/enrolment.js";
import type { FeatureContext } from "../feature-context.js";
import { registrationForm } from "../iq/register.js";
import type { PresenceService } from "../presence.js";
import type { Command } from "./command.js";

export function userCommands(ctx: FeatureContext, presence: PresenceService): Command[] {
  return [
    {
      node: "register",
      name: `Register ${anAddress(ctx.adapter.face)}`,
      adminOnly: false,
      visible: () => ctx.mode === "self-service",
      async run({ requester, values }) {
        if (!values) {
          const current = await ctx.registrations.byJid(ctx.gatewayId, requester.bare);
          return { status: "executing", form: registrationForm(ctx, current) };
        }
        const reg = await selfRegister(ctx, requester.bare, values);
        ctx.logger.info({ jid: reg.jid, number: reg.address }, "user registered (command)");
        await presence.registered(reg.jid);
        return {
          status: "completed",
          note: { type: "info", text: `${reg.address} is now yours on this gateway.` },
        };
      },
    },
    {
      node: "unregister",
      name: `Unregister my ${addressNoun(ctx.adapter.face)}`,
      adminOnly: false,
      async run({ requester }) {
        const old = await selfUnregister(ctx, requester.bare);
        ctx.logger.info({ jid: old.jid }, "user unregistered (command)");
        await presence.unregistered(old.jid);
        return {
          status: "completed",
          note: { type: "info", text: `${old.address} is no longer bound to you.` },
        };
      },
    },
  ];
}
