/** Admin commands over the job queues: counts per state, and retrying a queue's failed jobs. */
import { z } from "zod";
import type { FeatureContext } from "../feature-context.js";
import { dataForm } from "../forms.js";
import type { Command } from "./command.js";
import { parseField } from "./form-fields.js";
import { JOB_STATES, type QueueAdmin } from "./queue-admin.js";

/** Jobs per queue and state. */
function queueStatusCommand(queues: QueueAdmin): Command {
  return {
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
  };
}

/** Moves a queue's failed jobs back to waiting. */
function retryFailedCommand(ctx: FeatureContext, queues: QueueAdmin): Command {
  return {
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
      const queue = parseField(z.enum(queues.names as [string, ...string[]]), values.queue, "Queue");
      const n = await queues.retryFailed(queue);
      ctx.logger.info({ queue, jobs: n }, "admin retried failed jobs");
      return {
        status: "completed",
        note: { type: "info", text: `${n} failed job(s) of ${queue} retried.` },
      };
    },
  };
}

export function queueCommands(ctx: FeatureContext, queues: QueueAdmin): Command[] {
  return [queueStatusCommand(queues), retryFailedCommand(ctx, queues)];
}
