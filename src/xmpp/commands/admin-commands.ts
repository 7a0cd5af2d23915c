/**
 * Admin commands: bind and unbind any user, list users; with queues, their status and retries.
 * The texts name the gateway's kind of address (face.addressLabel: "phone number", "email
 * address"); the address is checked by the adapter (parseAddress), as in registration. The form
 * field stays `number` on every network, so scripts written for SMS gateways work on any.
 */
import { z } from "zod";
import { addressNoun, adminBind, anAddress } from "../../core/enrolment.js";
import { Refusal } from "../../core/errors.js";
import type { FeatureContext } from "../feature-context.js";
import { dataForm } from "../forms.js";
import type { PresenceService } from "../presence.js";
import type { Command } from "./command.js";
import { bareJidField, parseField } from "./form-fields.js";
import type { QueueAdmin } from "./queue-admin.js";
import { queueCommands } from "./queue-commands.js";

/** Binds an address to any user. */
function bindCommand(ctx: FeatureContext, presence: PresenceService): Command {
  const label = ctx.adapter.face.addressLabel;
  return {
    node: "admin-bind",
    name: `Bind ${anAddress(ctx.adapter.face)} to a user (admin)`,
    adminOnly: true,
    async run({ values }) {
      if (!values) {
        return {
          status: "executing",
          form: dataForm({
            type: "form",
            title: `Bind ${anAddress(ctx.adapter.face)} to a user`,
            fields: [
              { var: "jid", type: "jid-single", label: "User (bare JID)", required: true },
              { var: "number", type: "text-single", label, required: true },
            ],
          }),
        };
      }
      const jid = parseField(bareJidField, values.jid, "User");
      const reg = await adminBind(ctx, jid, parseField(z.string().trim().min(1), values.number, label));
      ctx.logger.info({ jid: reg.jid, number: reg.address }, "admin bound an address");
      await presence.registered(reg.jid);
      return { status: "completed", note: { type: "info", text: `${reg.address} is bound to ${reg.jid}.` } };
    },
  };
}

/** Removes any user's binding. */
function unbindCommand(ctx: FeatureContext, presence: PresenceService): Command {
  const noun = addressNoun(ctx.adapter.face);
  return {
    node: "admin-unbind",
    name: `Unbind a user's ${noun} (admin)`,
    adminOnly: true,
    async run({ values }) {
      if (!values) {
        return {
          status: "executing",
          form: dataForm({
            type: "form",
            title: `Unbind a user's ${noun}`,
            fields: [{ var: "jid", type: "jid-single", label: "User (bare JID)", required: true }],
          }),
        };
      }
      const jid = parseField(bareJidField, values.jid, "User");
      const old = await ctx.registrations.byJid(ctx.gatewayId, jid);
      if (!old || !(await ctx.registrations.remove(ctx.gatewayId, jid))) {
        throw new Refusal("item-not-found", `${jid} has no ${noun} on this gateway.`);
      }
      ctx.logger.info({ jid }, "admin unbound an address");
      await presence.unregistered(jid);
      return {
        status: "completed",
        note: { type: "info", text: `${old.address} is no longer bound to ${jid}.` },
      };
    },
  };
}

/** Lists the registered users with their addresses. */
function listUsersCommand(ctx: FeatureContext): Command {
  return {
    node: "admin-list-users",
    name: "List users (admin)",
    adminOnly: true,
    async run() {
      const all = (await ctx.registrations.list(ctx.gatewayId)).sort((a, b) => a.jid.localeCompare(b.jid));
      return {
        status: "completed",
        form: dataForm({
          type: "result",
          title: `${all.length} user${all.length === 1 ? "" : "s"}`,
          fields: [
            {
              var: "users",
              type: "text-multi",
              label: `User, ${addressNoun(ctx.adapter.face)} (how it was bound)`,
              value: all.map((u) => `${u.jid} ${u.address} (${u.source})`),
            },
          ],
        }),
      };
    },
  };
}

export function adminCommands(
  ctx: FeatureContext,
  presence: PresenceService,
  queues?: QueueAdmin,
): Command[] {
  const commands = [bindCommand(ctx, presence), unbindCommand(ctx, presence), listUsersCommand(ctx)];
  return queues ? [...commands, ...queueCommands(ctx, queues)] : commands;
}
