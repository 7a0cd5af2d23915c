/**
 * Strips the quoted history from a reply, so a chat shows what the person wrote, not the whole
 * thread again. Cut at the first line that starts the quoted part:
 * - an attribution line ("On Mon, 1 Dec 2026, Bob <bob@example.com> wrote:", the same split over
 *   two lines, and the German, French, Spanish, Dutch and Italian forms mail clients write);
 * - Outlook's "-----Original Message-----" or a line of underscores followed by a "From:" line;
 * then trailing ">" lines and a trailing "-- " signature are dropped. Quotes between the person's
 * own lines (an interleaved answer) stay: they are the context of what follows them. A mail that
 * would be left empty (only quotes) is returned as it was.
 */

const ATTRIBUTION = [
  /^on\b.{0,300}\bwrote:\s*$/i,
  /^am\b.{0,300}\bschrieb\b.{0,200}:\s*$/i,
  /^le\b.{0,300}\ba écrit\s*:\s*$/i,
  /^el\b.{0,300}\bescribió\s*:\s*$/i,
  /^op\b.{0,300}\bschreef\b.{0,200}:\s*$/i,
  /^il giorno\b.{0,300}\bha scritto\s*:\s*$/i,
];
const ORIGINAL_MESSAGE = /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}\s*$/i;
const OUTLOOK_RULE = /^_{10,}\s*$/;
const HEADER_FROM = /^(from|von|de):\s/i;

function startsQuote(lines: readonly string[], i: number): boolean {
  const line = (lines[i] ?? "").trim();
  const next = (lines[i + 1] ?? "").trim();
  if (ATTRIBUTION.some((re) => re.test(line))) return true;
  // An attribution a client wrapped: "On Mon, ... Bob <bob@" / "example.com> wrote:".
  if (/^(on|am|le|el|op)\b/i.test(line) && ATTRIBUTION.some((re) => re.test(`${line} ${next}`))) {
    return /(wrote|schrieb|écrit|escribió|schreef|scritto)/i.test(next);
  }
  if (ORIGINAL_MESSAGE.test(line)) return true;
  return OUTLOOK_RULE.test(line) && HEADER_FROM.test(next);
}

function dropTrailing(lines: string[]): string[] {
  const out = [...lines];
  for (;;) {
    const last = out[out.length - 1];
    if (last === undefined) return out;
    if (last.trim() === "" || last.startsWith(">")) out.pop();
    else return out;
  }
}

function dropSignature(lines: string[]): string[] {
  const at = lines.lastIndexOf("-- ");
  return at >= 0 && lines.length - at <= 10 ? lines.slice(0, at) : lines;
}

export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    if (startsQuote(lines, i)) {
      end = i;
      break;
    }
  }
  const kept = dropTrailing(dropSignature(dropTrailing(lines.slice(0, end))));
  const result = kept.join("\n").trim();
  return result.length > 0 ? result : text.trim();
}
