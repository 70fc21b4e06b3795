import { cpus, loadavg } from 'node:os';
import { LocalRuntime } from '../local/runtime';
import type { Measurement } from './measure';
import { engineFloor, runSagas, storeFloor, type UsagePerSaga } from './saga-bench';
import { benchWorkload, type WorkloadKind } from './workloads';

/** What to measure. */
export interface BenchOptions {
  /** Sagas in flight at once, one measurement per level. */
  readonly concurrency: readonly number[];
  /** Sagas per measurement (at least twice the concurrency, so that most run at full concurrency). */
  readonly sagas: number;
  readonly workloads: readonly WorkloadKind[];
  /** Most warm workers per function. @default - the runtime's default */
  readonly workers?: number;
  /** Seeds the workloads (each measurement gets its own keys). @default 1 */
  readonly seed?: number;
  /** Sagas of the untimed warm-up (happy path, concurrency 8). @default 16 */
  readonly warmUpSagas?: number;
  /** A DynamoDB (Local) to use instead of starting one. @default - start one on a free port */
  readonly dynamoDbEndpoint?: string;
}

/** One workload at one concurrency: the saga on the local runtime and its two floors, measured one after another. */
export interface BenchRow {
  readonly workload: WorkloadKind;
  readonly concurrency: number;
  readonly saga: Measurement;
  /** The store calls the sagas' handlers made, replayed directly. */
  readonly storeFloor: Measurement;
  /** The state machine on the engine with tasks that answer at once. */
  readonly engineFloor: Measurement;
  /** Saga throughput ÷ store-floor throughput (goal: ≥ 0.8 from concurrency 8 up). */
  readonly throughputRatio: number;
  /** (saga mean latency − store-floor mean latency) ÷ store-floor mean latency (goal: ≤ 0.10). */
  readonly overheadRatio: number;
  /** How the sagas ended. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly usage: UsagePerSaga;
}

export interface BenchResult {
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly platform: string; readonly loadAverage: readonly number[] };
  readonly options: BenchOptions;
  readonly rows: readonly BenchRow[];
}

/** Retries wait this long in the saga and in the engine floor alike (the definition's backoff would measure waiting). */
const RETRY_DELAY_MS = 0;

const ratio = (x: number) => Math.round(x * 1000) / 1000;

/** Starts a local runtime, measures every workload at every concurrency, and closes the runtime. */
export async function runBench(options: BenchOptions, onProgress: (message: string) => void = () => undefined): Promise<BenchResult> {
  const date = new Date().toISOString();
  const runtime = await LocalRuntime.start({
    context: { faultInjection: 'true' },
    onProgress,
    retryDelayMs: RETRY_DELAY_MS,
    maxWorkersPerFunction: options.workers,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
  });
  const rows: BenchRow[] = [];
  try {
    await runtime.warmUp();
    let seed = (options.seed ?? 1) * 1000;
    const one = async (workload: WorkloadKind, concurrency: number, sagas: number): Promise<BenchRow> => {
      seed += 1;
      const orders = benchWorkload(workload, sagas, seed);
      const { measurement: saga, traces } = await runSagas(runtime, orders, concurrency);
      const { measurement: store, usage } = await storeFloor(runtime, orders, traces, seed, concurrency);
      const engine = await engineFloor(runtime, traces, concurrency, RETRY_DELAY_MS);
      const statuses: Record<string, number> = {};
      for (const t of traces) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
      const transitions = Math.round((traces.reduce((n, t) => n + t.transitions, 0) / Math.max(1, traces.length)) * 100) / 100;
      return {
        workload,
        concurrency,
        saga,
        storeFloor: store,
        engineFloor: engine,
        throughputRatio: ratio(saga.perSecond / store.perSecond),
        overheadRatio: ratio((saga.meanMs - store.meanMs) / store.meanMs),
        statuses,
        usage: { transitions, queueMessages: Math.round((traces.reduce((n, t) => n + t.queueMessages, 0) / Math.max(1, traces.length)) * 1000) / 1000, ...usage },
      };
    };
    // Warm the JIT, the workers and the connections before anything counts.
    onProgress('warming up…');
    await one('happy', 8, options.warmUpSagas ?? 16);
    for (const workload of options.workloads) {
      for (const concurrency of options.concurrency) {
        const sagas = Math.max(options.sagas, 2 * concurrency);
        onProgress(`${workload}: ${sagas} sagas at concurrency ${concurrency}…`);
        const row = await one(workload, concurrency, sagas);
        onProgress(
          `  saga ${row.saga.perSecond}/s, store floor ${row.storeFloor.perSecond}/s, engine floor ${row.engineFloor.perSecond}/s: ratio ${row.throughputRatio}, overhead ${Math.round(row.overheadRatio * 100)} %`,
        );
        rows.push(row);
      }
    }
  } finally {
    await runtime.close();
  }
  return {
    date,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}`, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) },
    options,
    rows,
  };
}
