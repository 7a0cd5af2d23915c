/**
 * What a contact's nickname costs: formatForHumans (the calling code's numbering plan, no parse)
 * against the baseline of a full parse with the max metadata and its format, which it replaced,
 * over the same distinct numbers in the same run, alternating, median of the rounds. Run:
 * `node --import tsx bench/nickname-format.ts` (BENCH_NUMBERS to change N per round).
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { formatForHumans } from "../adapters/sms-kit/phone.js";

const N = Number(process.env.BENCH_NUMBERS ?? 20_000);
const ROUNDS = 7;

const plans: Record<string, string[]> = {
  "+1 (NANP, some 25 regions share it)": Array.from(
    { length: N },
    (_, i) => `+1555${String(i).padStart(7, "0")}`,
  ),
  "+44 (GB and 3 more)": Array.from({ length: N }, (_, i) => `+447700${String(i).padStart(6, "0")}`),
  "+49 (one region)": Array.from({ length: N }, (_, i) => `+491512${String(i).padStart(7, "0")}`),
};

const baseline = (n: string) => parsePhoneNumberFromString(n)?.formatInternational() ?? n;

/** Microseconds per number for one pass of `format` over `numbers`; keeps the results alive. */
function pass(numbers: readonly string[], format: (n: string) => string): number {
  let chars = 0;
  const started = process.hrtime.bigint();
  for (const n of numbers) chars += format(n).length;
  const ns = Number(process.hrtime.bigint() - started);
  if (chars === 0) throw new Error("nothing formatted");
  return ns / 1000 / numbers.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

process.stdout.write(
  `nickname format, ${N.toLocaleString("en")} distinct numbers a round, ${ROUNDS} rounds\n`,
);
process.stdout.write(
  "| numbers | parse + format (baseline), µs | formatForHumans, µs | ratio |\n|---|---:|---:|---:|\n",
);
for (const [name, numbers] of Object.entries(plans)) {
  const mismatch = numbers.find((n) => formatForHumans(n) !== baseline(n));
  if (mismatch !== undefined)
    throw new Error(`${mismatch}: ${formatForHumans(mismatch)} against ${baseline(mismatch)}`);
  const base: number[] = [];
  const ours: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(pass(numbers, baseline));
    ours.push(pass(numbers, formatForHumans));
  }
  const [b, o] = [median(base), median(ours)];
  process.stdout.write(`| ${name} | ${b.toFixed(2)} | ${o.toFixed(2)} | ${(o / b).toFixed(2)} |\n`);
}
