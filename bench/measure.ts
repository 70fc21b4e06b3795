/** Throughput and latency of one measured run. */
export interface Measurement {
  /** Sagas run. */
  readonly sagas: number;
  /** Wall time from the first start to the last end. */
  readonly seconds: number;
  readonly perSecond: number;
  /** Latency per saga, milliseconds. */
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/** The q-quantile (0 to 1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Runs `run` once per item, keeping `concurrency` runs in flight (a new one starts as soon as one ends), and measures
 * each run's latency and the whole batch's throughput.
 */
export async function measure<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<unknown>): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      const t0 = performance.now();
      await run(item);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    sagas: items.length,
    seconds: round(seconds, 3),
    perSecond: round(items.length / seconds),
    meanMs: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    p50Ms: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
    p99Ms: round(quantile(latencies, 0.99)),
  };
}
