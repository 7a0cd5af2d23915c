/**
 * Opt-out rules for SMS: the keywords carriers and providers treat as STOP and START. A message
 * whose whole text (trimmed, any case, trailing punctuation ignored) is one of them changes the
 * sender's subscription to the number it was sent to.
 */

export type OptOutAction = "stop" | "start";

export const STOP_KEYWORDS: readonly string[] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
export const START_KEYWORDS: readonly string[] = ["START", "UNSTOP", "YES"];

/** The opt-out action a message body asks for, or undefined for ordinary text. */
export function optOutKeyword(body: string): OptOutAction | undefined {
  const word = body
    .trim()
    .replace(/[.!\s]+$/u, "")
    .toUpperCase();
  if (STOP_KEYWORDS.includes(word)) return "stop";
  if (START_KEYWORDS.includes(word)) return "start";
  return undefined;
}

/** The error a sender sees when the recipient has opted out of their number. */
export function optedOutText(recipient: string, sender: string): string {
  return `${recipient} has opted out of messages from ${sender} (they replied STOP); nothing was sent. They can text START to ${sender} to receive messages again.`;
}
