/** Admin commands: bind and unbind any user, list users; with queues, their status and retries. */
import { z } from "zod";
import { adminBind } from "../../core/enrolment.js";
import { Refusal } from "../../core/errors.js";
import type { FeatureContext } from "../feature-context.js";
import { dataForm } from "../forms.js";
import type { PresenceService } from "../presence.js";
import type { Command } from "./command.js";
import { bareJidField, parseField } from "./form-fields.js";
import type { QueueAdmin } from "./queue-admin.js";
import { queueCommands } from "./queue-commands.js";

/** Binds a number to any user. */
function bindCommand(ctx: FeatureContext, presence: PresenceService): Command {
  return {
    node: "admin-bind",
    name: "Bind a number to a user (admin)",
    adminOnly: true,
    async run({ values }) {
      if (!values) {
        return {
          status: "executing",
          form: dataForm({
            type: "form",
            title: "Bind a number to a user",
            fields: [
              { var: "jid", type: "jid-single", label: "User (bare JID)", required: true },
              { var: "number", type: "text-single", label: ctx.adapter.face.addressLabel, required: true },
            ],
          }),
        };
      }
      const jid = parseField(bareJidField, values.jid, "User");
      const reg = await adminBind(ctx, jid, parseField(z.string().trim().min(1), values.number, "Number"));
      ctx.logger.info({ jid: reg.jid, number: reg.address }, "admin bound a number");
      await presence.registered(reg.jid);
      return { status: "completed", note: { type: "info", text: `${reg.address} is bound to ${reg.jid}.` } };
    },
  };
}

/** Removes any user's binding. */
function unbindCommand(ctx: FeatureContext, presence: PresenceService): Command {
  return {
    node: "admin-unbind",
    name: "Unbind a user's number (admin)",
    adminOnly: true,
    async run({ values }) {
      if (!values) {
        return {
          status: "executing",
          form: dataForm({
            type: "form",
            title: "Unbind a user's number",
            fields: [{ var: "jid", type: "jid-single", label: "User (bare JID)", required: true }],
          }),
        };
      }
      const jid = parseField(bareJidField, values.jid, "User");
      const old = await ctx.registrations.byJid(ctx.gatewayId, jid);
      if (!old || !(await ctx.registrations.remove(ctx.gatewayId, jid))) {
        throw new Refusal("item-not-found", `${jid} has no number on this gateway.`);
      }
      ctx.logger.info({ jid }, "admin unbound a number");
      await presence.unregistered(jid);
      return {
        status: "completed",
        note: { type: "info", text: `${old.address} is no longer bound to ${jid}.` },
      };
    },
  };
}

/** Lists the registered users with their numbers. */
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
              label: "User, number (how it was bound)",
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
