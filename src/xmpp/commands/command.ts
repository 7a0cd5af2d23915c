/** The shape of one XEP-0050 ad-hoc command of the gateway. */
import type { Element } from "@xmpp/component";
import type { Requester } from "../access.js";

export interface CommandNote {
  readonly type: "info" | "warn" | "error";
  readonly text: string;
}

export type CommandOutcome =
  /** Ask for (more) input: the form is shown, the user submits it. */
  | { readonly status: "executing"; readonly form: Element }
  /** Done: a note and/or a result form. */
  | { readonly status: "completed"; readonly note?: CommandNote; readonly form?: Element };

export interface CommandRequest {
  readonly requester: Requester;
  /** The submitted form's values; undefined on the first call (no form yet). */
  readonly values?: Readonly<Record<string, string>>;
}

export interface Command {
  /** The command's node, e.g. "register". */
  readonly node: string;
  /** Shown in the client's command list. */
  readonly name: string;
  /** Only admins see and run it; others get forbidden. */
  readonly adminOnly: boolean;
  /** Whether it is offered to this requester at all (e.g. "register" only in self-service mode). */
  visible?(requester: Requester): boolean;
  run(request: CommandRequest): Promise<CommandOutcome>;
}

/** Whether a requester may see and run a command. */
export function mayRun(command: Command, r: Requester): boolean {
  if (!r.allowed) return false;
  if (command.adminOnly && !r.admin) return false;
  return command.visible?.(r) ?? true;
}
