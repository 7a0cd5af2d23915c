/**
 * The demo's console: each message as it flows, from the simulated phone network's log lines
 * (`->` from a user to a phone, `<-` from a phone to a user), and warnings and errors in words.
 * Every line also goes to the demo's JSON log file.
 */

import { formatForHumans } from "../../adapters/sms-kit/index.js";
import { printable } from "../cli/output.js";

interface Line {
  readonly level?: number;
  readonly msg?: string;
  readonly adapter?: string;
  readonly event?: string;
  readonly from?: string;
  readonly to?: string;
  readonly body?: string;
  readonly status?: string;
}

/** The console line for one JSON log line, or undefined when it is not worth showing. */
export function traceLine(json: string, users: ReadonlyMap<string, string>): string | undefined {
  let l: Line;
  try {
    l = JSON.parse(json) as Line;
  } catch {
    return undefined;
  }
  const who = (n: string | undefined) => {
    const user = users.get(n ?? "");
    return user === undefined ? formatForHumans(n ?? "?") : `${user} (${formatForHumans(n ?? "?")})`;
  };
  const text = (s: string | undefined) => printable(s ?? "");
  if (l.adapter === "simulator" && l.event === "sent")
    return `-> ${who(l.from)} to ${who(l.to)}: ${text(l.body)}`;
  if (l.adapter === "simulator" && l.event === "received") {
    return `<- ${who(l.from)} to ${who(l.to)}: ${text(l.body)}`;
  }
  if (l.adapter === "simulator" && l.event === "report") return `   delivery report: ${l.status ?? "?"}`;
  if ((l.level ?? 0) >= 40) return `!! ${text(l.msg)}`;
  return undefined;
}
