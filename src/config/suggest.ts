/** "Did you mean" for unknown options: the known keys at a path of a zod schema, and the nearest. */
import { z } from "zod";

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else if (s instanceof z.ZodUnion) {
      // A setting that is a word or a mapping (`pacing: off`): the mapping's keys.
      const mapping = s.options.find((o) => o instanceof z.ZodObject);
      if (mapping === undefined) break;
      s = mapping as z.ZodType;
    } else break;
  }
  return s;
}

/** The option names of the mapping at `path` in `schema`, or [] when it is not a mapping. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const p of path) {
    if (typeof p === "number" && s instanceof z.ZodArray) s = unwrap(s.element as z.ZodType);
    else if (typeof p === "string" && s instanceof z.ZodObject && Object.hasOwn(s.shape, p)) {
      s = unwrap(s.shape[p] as z.ZodType);
    } else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known key closest to `key` (case-insensitive), if it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (best === undefined || d < best.d) best = { key: k, d };
  }
  if (best === undefined) return undefined;
  return best.d <= Math.max(1, Math.floor(best.key.length / 3)) ? best.key : undefined;
}

/** "unknown option" with a "did you mean" when one is near. */
export function unknownOptionText(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  return near === undefined ? "unknown option" : `unknown option; did you mean "${near}"?`;
}
