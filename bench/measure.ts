import { readFileSync } from 'node:fs';

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
  /**
   * CPU milliseconds spent per saga while it ran: by this process (every thread: the engine, the functions, the
   * clients) and by DynamoDB Local's JVM, when the bench knows its process. CPU time counts work, not waiting, so it
   * says where a ratio comes from on a machine whose load changes from minute to minute.
   */
  readonly cpuMsPerSaga?: CpuTime;
}

/** CPU milliseconds: this process's, and DynamoDB Local's when known. */
export interface CpuTime {
  readonly process: number;
  readonly store?: number;
}

/** Reads the CPU time used so far (see {@link cpuClock}). */
export type CpuClock = () => CpuTime;

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
export async function measure<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<unknown>, cpu?: CpuClock): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpu?.();
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
  const cpuAfter = cpu?.();
  latencies.sort((a, b) => a - b);
  return {
    sagas: items.length,
    seconds: round(seconds, 3),
    perSecond: round(items.length / seconds),
    meanMs: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    p50Ms: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
    p99Ms: round(quantile(latencies, 0.99)),
    ...(cpuBefore && cpuAfter ? { cpuMsPerSaga: cpuPer(cpuBefore, cpuAfter, items.length) } : {}),
  };
}

function cpuPer(before: CpuTime, after: CpuTime, sagas: number): CpuTime {
  const per = (a: number, b: number) => round((b - a) / Math.max(1, sagas), 2);
  return {
    process: per(before.process, after.process),
    ...(before.store !== undefined && after.store !== undefined ? { store: per(before.store, after.store) } : {}),
  };
}

/** Clock ticks per second of Linux's /proc/<pid>/stat times (USER_HZ, 100 on every Linux Node supports). */
const TICKS_PER_SECOND = 100;

/**
 * A clock of the CPU time this process has used (all its threads), and, where `/proc` tells (Linux), the process
 * `storePid` (DynamoDB Local) has.
 */
export function cpuClock(storePid?: number): CpuClock {
  const store = (): number | undefined => {
    if (storePid === undefined) return undefined;
    try {
      const stat = readFileSync(`/proc/${storePid}/stat`, 'utf8');
      // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    } catch {
      return undefined;
    }
  };
  return () => {
    const usage = process.cpuUsage();
    const storeMs = store();
    return { process: (usage.user + usage.system) / 1000, ...(storeMs === undefined ? {} : { store: storeMs }) };
  };
}
