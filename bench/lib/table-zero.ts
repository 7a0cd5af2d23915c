/**
 * Reading the bench's table 0 (the distinct-numbers workloads) out of its output, and the
 * median [range] of several runs of each build, for bench/compare.ts.
 */

/** The figures of table 0 that a comparison shows, by column name. */
export const COLUMNS = {
  "msg/s": 1,
  ratio: 3,
  "p99 ms": 4,
  "gw CPU ms/msg": 5,
  "redis CPU ms/msg": 6,
  "redis commands/msg": 7,
} as const;

export type Column = keyof typeof COLUMNS;

/** workload -> column -> value, for one run. */
export type Figures = Map<string, Map<Column, number>>;

/** The rows of table 0 in `output`; empty when the run printed none. */
export function parseTableZero(output: string): Figures {
  const figures: Figures = new Map();
  const lines = output.split("\n");
  const header = lines.findIndex((l) => l.startsWith("| workload | msg/s | echo ceiling |"));
  if (header < 0) return figures;
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("| ")) break;
    const cells = line.split("|").map((c) => c.trim());
    const [, workload = "", ...rest] = cells;
    const row = new Map<Column, number>();
    for (const [name, i] of Object.entries(COLUMNS) as [Column, number][]) {
      const text = (rest[i - 1] ?? "").replaceAll(",", "");
      const value = Number(text);
      if (text !== "" && Number.isFinite(value)) row.set(name, value);
    }
    figures.set(workload, row);
  }
  return figures;
}

/** "median [min–max]" of `values`, with `digits` decimals; "" when there are none. */
export function medianRange(values: readonly number[], digits: number): string {
  if (values.length === 0) return "";
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const f = (v: number) =>
    v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(median)} [${f(sorted[0] ?? 0)}–${f(sorted.at(-1) ?? 0)}]`;
}

const DIGITS: Record<Column, number> = {
  "msg/s": 0,
  ratio: 2,
  "p99 ms": 1,
  "gw CPU ms/msg": 3,
  "redis CPU ms/msg": 3,
  "redis commands/msg": 1,
};

/** A markdown table: one row per workload and column, one cell per build (its runs' median [range]). */
export function comparisonTable(builds: readonly { name: string; runs: readonly Figures[] }[]): string {
  const workloads = [...new Set(builds.flatMap((b) => b.runs.flatMap((r) => [...r.keys()])))];
  const out = [`| workload, figure | ${builds.map((b) => b.name).join(" | ")} |`];
  out.push(`|---|${builds.map(() => "---:").join("|")}|`);
  for (const w of workloads) {
    for (const c of Object.keys(COLUMNS) as Column[]) {
      const cells = builds.map((b) =>
        medianRange(
          b.runs.flatMap((r) => {
            const v = r.get(w)?.get(c);
            return v === undefined ? [] : [v];
          }),
          DIGITS[c],
        ),
      );
      if (cells.some((cell) => cell !== "")) out.push(`| ${w}, ${c} | ${cells.join(" | ")} |`);
    }
  }
  return out.join("\n");
}
