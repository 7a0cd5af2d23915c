/** Durations as operators type them: "7d", "12h", "30m", "45s", "500ms". */
const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds of `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2] ?? ""];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}
