/** Admin commands: bind and unbind any user, list users, queue status, retry failed jobs. */
import { z } from "zod";
import { adminBind } from "../../core/enrolment.js";
import { Refusal } from "../../core/errors.js";
import type { FeatureContext } from "../feature-context.js";
import { dataForm } from "../forms.js";
import type { PresenceService } from "../presence.js";
import type { Command } from "./command.js";
import { JOB_STATES, type QueueAdmin } from "./queue-admin.js";

const bareJid = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[^@/\s"&'<>:]+@[a-z0-9.-]+$/, "must be a bare JID, e.g. alice@example.org");

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Refusal("bad-request", `${what}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}

export function adminCommands(
  ctx: FeatureContext,
  presence: PresenceService,
  queues?: QueueAdmin,
): Command[] {
  const commands: Command[] = [
    {
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
        const jid = parse(bareJid, values.jid, "User");
        const reg = await adminBind(ctx, jid, parse(z.string().trim().min(1), values.number, "Number"));
        ctx.logger.info({ jid: reg.jid, number: reg.number }, "admin bound a number");
        await presence.registered(reg.jid);
        return { status: "completed", note: { type: "info", text: `${reg.number} is bound to ${reg.jid}.` } };
      },
    },
    {
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
        const jid = parse(bareJid, values.jid, "User");
        const old = await ctx.registrations.byJid(ctx.gatewayId, jid);
        if (!old || !(await ctx.registrations.remove(ctx.gatewayId, jid))) {
          throw new Refusal("item-not-found", `${jid} has no number on this gateway.`);
        }
        ctx.logger.info({ jid }, "admin unbound a number");
        await presence.unregistered(jid);
        return {
          status: "completed",
          note: { type: "info", text: `${old.number} is no longer bound to ${jid}.` },
        };
      },
    },
    {
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
                value: all.map((u) => `${u.jid} ${u.number} (${u.source})`),
              },
            ],
          }),
        };
      },
    },
  ];
  if (!queues) return commands;
  commands.push(
    {
      node: "admin-queue-status",
      name: "Queue status (admin)",
      adminOnly: true,
      async run() {
        const counts = await queues.counts();
        return {
          status: "completed",
          form: dataForm({
            type: "result",
            title: "Jobs per queue",
            fields: Object.entries(counts).map(([name, c]) => ({
              var: name,
              type: "text-single" as const,
              label: name,
              value: JOB_STATES.map((s) => `${s} ${c[s]}`).join(", "),
            })),
          }),
        };
      },
    },
    {
      node: "admin-retry-failed",
      name: "Retry failed jobs (admin)",
      adminOnly: true,
      async run({ values }) {
        if (!values) {
          return {
            status: "executing",
            form: dataForm({
              type: "form",
              title: "Retry the failed jobs of a queue",
              fields: [
                {
                  var: "queue",
                  type: "list-single",
                  label: "Queue",
                  required: true,
                  options: queues.names.map((n) => ({ label: n, value: n })),
                },
              ],
            }),
          };
        }
        const queue = parse(z.enum(queues.names as [string, ...string[]]), values.queue, "Queue");
        const n = await queues.retryFailed(queue);
        ctx.logger.info({ queue, jobs: n }, "admin retried failed jobs");
        return {
          status: "completed",
          note: { type: "info", text: `${n} failed job(s) of ${queue} retried.` },
        };
      },
    },
  );
  return commands;
}
