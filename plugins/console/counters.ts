// Counts over time, kept small: per key (an execution kind, a handler) a sparse map of 10-second
// buckets of the last hour, each a few named counts. Each process keeps its own and ships them
// in its heartbeat; the console sums the replicas' buckets.

export const BUCKET_MS = 10_000;
export const WINDOW_MS = 60 * 60 * 1000;

/** Bucket start (ms) → counts by name. */
export type Buckets = Record<string, Record<string, number>>;

export class Counters {
  readonly #series = new Map<string, Map<number, Record<string, number>>>();

  add(key: string, counts: Record<string, number>, now = Date.now()): void {
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, (series = new Map()));
    const t = now - (now % BUCKET_MS);
    let bucket = series.get(t);
    if (!bucket) {
      series.set(t, (bucket = {}));
      // A new bucket: drop the ones that left the window.
      for (const old of series.keys()) if (old <= now - WINDOW_MS) series.delete(old);
    }
    for (const [name, n] of Object.entries(counts)) bucket[name] = (bucket[name] ?? 0) + n;
  }

  /** Every key's buckets of the last hour. */
  snapshot(now = Date.now()): Record<string, Buckets> {
    const out: Record<string, Buckets> = {};
    for (const [key, series] of this.#series) {
      const buckets: Buckets = {};
      for (const [t, counts] of series) if (t > now - WINDOW_MS) buckets[t] = { ...counts };
      out[key] = buckets;
    }
    return out;
  }
}

/** The buckets of several replicas, summed. */
export function sumBuckets(all: readonly Buckets[]): Buckets {
  const out: Buckets = {};
  for (const buckets of all) {
    for (const [t, counts] of Object.entries(buckets)) {
      const into = (out[t] ??= {});
      for (const [name, n] of Object.entries(counts)) into[name] = (into[name] ?? 0) + n;
    }
  }
  return out;
}

/** Totals of some buckets since `since`. */
export function totals(buckets: Buckets, since: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [t, counts] of Object.entries(buckets)) {
    if (Number(t) < since - BUCKET_MS) continue;
    for (const [name, n] of Object.entries(counts)) out[name] = (out[name] ?? 0) + n;
  }
  return out;
}

/** A chart's series: every bucket of the window from `since` (empty ones as zeros), oldest first. */
export function series(buckets: Buckets, names: readonly string[], since: number, now = Date.now()): { t: number[] } & Record<string, number[]> {
  const out: { t: number[] } & Record<string, number[]> = { t: [] } as { t: number[] } & Record<string, number[]>;
  for (const name of names) out[name] = [];
  for (let t = since - (since % BUCKET_MS); t <= now; t += BUCKET_MS) {
    out.t.push(t / 1000);
    for (const name of names) out[name].push(buckets[t]?.[name] ?? 0);
  }
  return out;
}
