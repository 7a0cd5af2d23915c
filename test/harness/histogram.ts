/**
 * Reads one Prometheus histogram out of a /metrics text: the bucket counts of one series, and
 * the bucket a quantile falls in (an upper bound: "at most this"), for tests that report a
 * latency the gateway measured itself.
 */

export interface Buckets {
  /** Upper bounds (seconds) with their cumulative counts, in order; the last is +Inf. */
  readonly bounds: readonly { readonly le: number; readonly count: number }[];
  readonly total: number;
}

/** The `name` histogram's buckets of the series whose labels include `labels` (e.g. `gateway="sms"`). */
export function histogramBuckets(text: string, name: string, labels: string): Buckets {
  const bounds: { le: number; count: number }[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const count = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (le === undefined || !Number.isFinite(count)) throw new Error(`unreadable bucket line: ${line}`);
    bounds.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), count });
  }
  if (bounds.length === 0) throw new Error(`no ${name} buckets with ${labels} in the metrics`);
  return { bounds, total: bounds[bounds.length - 1]?.count ?? 0 };
}

/** The upper bound (seconds) of the bucket holding quantile `q` (0..1) of what was observed. */
export function quantileBound(b: Buckets, q: number): number {
  const want = q * b.total;
  const hit = b.bounds.find((x) => x.count >= want);
  return hit?.le ?? Number.POSITIVE_INFINITY;
}

/** What was observed between two readings of the same series (`before` taken first). */
export function bucketsSince(before: Buckets, after: Buckets): Buckets {
  const bounds = after.bounds.map((x, i) => ({ le: x.le, count: x.count - (before.bounds[i]?.count ?? 0) }));
  return { bounds, total: after.total - before.total };
}
