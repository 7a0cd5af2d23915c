/**
 * XEP-0050 ad-hoc commands: executes the gateway's commands for the requester, with sessions for
 * the commands that ask for a form. Unknown node: item-not-found; not allowed: forbidden; unknown
 * or foreign session: bad-request <bad-sessionid/>; cancel: status canceled.
 */
import { randomBytes } from "node:crypto";
import { type Element, xml } from "@xmpp/component";
import { z } from "zod";
import { Refusal } from "../../core/errors.js";
import { type Requester, requester } from "../access.js";
import { type FeatureContext, targetOf } from "../feature-context.js";
import { findForm, submittedValues } from "../forms.js";
import { NS } from "../namespaces.js";
import { type Command, type CommandOutcome, mayRun } from "./command.js";

const SESSION_TTL_MS = 10 * 60_000;
/**
 * Open sessions (a form shown, not yet submitted) per user and in all. Over either cap a new
 * session is refused (resource-constraint), never made room for by ending someone else's.
 */
export const SESSIONS_PER_USER = 5;
const MAX_SESSIONS = 1000;

const commandAttrs = z.object({
  node: z.string().min(1).max(200),
  sessionid: z.string().min(1).max(100).optional(),
  action: z.enum(["execute", "next", "complete", "cancel", "prev"]).optional(),
});

interface Session {
  readonly node: string;
  readonly owner: string;
  readonly expires: number;
}

export function handleCommands(ctx: FeatureContext, commands: readonly Command[]): void {
  const sessions = new Map<string, Session>();

  const prune = (now: number) => {
    for (const [id, s] of sessions) if (s.expires <= now) sessions.delete(id);
  };
  /** Throws resource-constraint when `owner` may not open one more session. */
  const mayOpen = (owner: string) => {
    let own = 0;
    for (const s of sessions.values()) if (s.owner === owner) own++;
    if (own >= SESSIONS_PER_USER) {
      throw new Refusal(
        "resource-constraint",
        `You have ${own} command sessions open; complete or cancel one first (they end by themselves after 10 minutes).`,
      );
    }
    if (sessions.size >= MAX_SESSIONS) {
      throw new Refusal(
        "resource-constraint",
        "Too many command sessions are open; try again in a few minutes.",
      );
    }
  };

  ctx.transport.handleIq("set", NS.commands, "command", async (stanza) => {
    if (targetOf(stanza, ctx).kind !== "gateway") {
      throw new Refusal("item-not-found", "Commands are run on the gateway itself.");
    }
    const el = stanza.getChild("command", NS.commands);
    const attrs = commandAttrs.safeParse(el?.attrs ?? {});
    if (!el || !attrs.success) throw new Refusal("bad-request", "A command needs a node.");
    const { node, sessionid, action = "execute" } = attrs.data;
    const command = commands.find((c) => c.node === node);
    if (!command) throw new Refusal("item-not-found", `No command ${node}.`);
    const r = requester(stanza, ctx);
    if (!mayRun(command, r)) {
      throw new Refusal(
        "forbidden",
        command.adminOnly ? "Only administrators of this gateway may run this command." : "Not allowed.",
      );
    }
    const now = Date.now();
    prune(now);

    if (sessionid !== undefined) {
      const session = sessions.get(sessionid);
      if (!session || session.node !== node || session.owner !== r.bare) {
        throw new Refusal("bad-request", "Unknown or expired session; start the command again.");
      }
      if (action === "cancel") {
        sessions.delete(sessionid);
        return xml("command", { xmlns: NS.commands, node, sessionid, status: "canceled" });
      }
      if (action === "prev") throw new Refusal("bad-request", "This command has a single step.");
      const form = findForm(el);
      const values = form ? submittedValues(form) : undefined;
      if (!values) throw new Refusal("bad-request", "Submit the form (type submit).");
      sessions.delete(sessionid);
      return reply(node, sessionid, await run(command, r, values));
    }

    if (action === "cancel") return xml("command", { xmlns: NS.commands, node, status: "canceled" });
    const id = randomBytes(8).toString("hex");
    const outcome = await run(command, r, undefined);
    if (outcome.status === "executing") {
      mayOpen(r.bare);
      sessions.set(id, { node, owner: r.bare, expires: now + SESSION_TTL_MS });
    }
    return reply(node, id, outcome);
  });
}

async function run(
  command: Command,
  r: Requester,
  values: Readonly<Record<string, string>> | undefined,
): Promise<CommandOutcome> {
  return command.run({ requester: r, ...(values ? { values } : {}) });
}

function reply(node: string, sessionid: string, outcome: CommandOutcome): Element {
  if (outcome.status === "executing") {
    return xml(
      "command",
      { xmlns: NS.commands, node, sessionid, status: "executing" },
      xml("actions", { execute: "complete" }, xml("complete")),
      outcome.form,
    );
  }
  return xml(
    "command",
    { xmlns: NS.commands, node, sessionid, status: "completed" },
    outcome.note ? xml("note", { type: outcome.note.type }, outcome.note.text) : null,
    outcome.form ?? null,
  );
}
