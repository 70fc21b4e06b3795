import { cpus, loadavg } from 'node:os';
import type { Isolation } from '../local/lambda-pool';
import { LocalRuntime } from '../local/runtime';
import { cpuClock, type Measurement } from './measure';
import { engineFloor, runSagas, storeFloor, type UsagePerSaga } from './saga-bench';
import { benchWorkload, type WorkloadKind } from './workloads';

/** What to measure. */
export interface BenchOptions {
  /** Sagas in flight at once, one measurement per level. */
  readonly concurrency: readonly number[];
  /** Sagas per measurement (at least twice the concurrency, so that most run at full concurrency). */
  readonly sagas: number;
  readonly workloads: readonly WorkloadKind[];
  /** Most warm execution environments per function. @default - the runtime's default */
  readonly workers?: number;
  /**
   * Where the functions run: each isolation gets its own local runtime (over the same DynamoDB Local), and every
   * workload and concurrency is measured on each, one after another. @default ['inline']
   */
  readonly isolations?: readonly Isolation[];
  /** Seeds the workloads (each measurement gets its own keys). @default 1 */
  readonly seed?: number;
  /** Sagas of the untimed warm-up (happy path, concurrency 8): enough for the JIT of Node and of DynamoDB Local's JVM. @default 200 */
  readonly warmUpSagas?: number;
  /** A DynamoDB (Local) to use instead of starting one. @default - start one on a free port */
  readonly dynamoDbEndpoint?: string;
}

/** One workload at one concurrency: the saga on the local runtime and its two floors, measured one after another. */
export interface BenchRow {
  /** Where the functions ran. */
  readonly isolation: Isolation;
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

/** `12.3 ms (node 7.1 + DynamoDB Local 5.2)` */
export const cpuText = (cpu: { process: number; store?: number }) =>
  cpu.store === undefined ? `${cpu.process} ms` : `${Math.round((cpu.process + cpu.store) * 100) / 100} ms (node ${cpu.process} + DynamoDB Local ${cpu.store})`;

const ratio = (x: number) => Math.round(x * 1000) / 1000;

/** Starts a local runtime, measures every workload at every concurrency, and closes the runtime. */
export async function runBench(options: BenchOptions, onProgress: (message: string) => void = () => undefined): Promise<BenchResult> {
  const date = new Date().toISOString();
  const isolations = options.isolations ?? ['inline'];
  const runtimes: LocalRuntime[] = [];
  const rows: BenchRow[] = [];
  try {
    for (const isolation of isolations) {
      runtimes.push(
        await LocalRuntime.start({
          context: { faultInjection: 'true' },
          onProgress,
          retryDelayMs: RETRY_DELAY_MS,
          maxWorkersPerFunction: options.workers,
          isolation,
          // The first runtime starts DynamoDB Local (unless one is given); the others use it.
          dynamoDbEndpoint: options.dynamoDbEndpoint ?? runtimes[0]?.dynamoDbEndpoint,
        }),
      );
    }
    const cpu = cpuClock(runtimes[0].dynamoDbProcessId);
    let seed = (options.seed ?? 1) * 1000;
    const one = async (runtime: LocalRuntime, isolation: Isolation, workload: WorkloadKind, concurrency: number, sagas: number): Promise<BenchRow> => {
      seed += 1;
      const orders = benchWorkload(workload, sagas, seed);
      const { measurement: saga, traces } = await runSagas(runtime, orders, concurrency, cpu);
      const { measurement: store, usage } = await storeFloor(runtime, orders, traces, seed, concurrency, cpu);
      const engine = await engineFloor(runtime, traces, concurrency, RETRY_DELAY_MS, cpu);
      const statuses: Record<string, number> = {};
      for (const t of traces) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
      const transitions = Math.round((traces.reduce((n, t) => n + t.transitions, 0) / Math.max(1, traces.length)) * 100) / 100;
      return {
        isolation,
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
    for (const [i, runtime] of runtimes.entries()) {
      const isolation = isolations[i];
      await runtime.warmUp();
      // Warm the JIT, the execution environments and the connections before anything counts.
      onProgress(`${isolation}: warming up…`);
      await one(runtime, isolation, 'happy', 8, options.warmUpSagas ?? 200);
      for (const workload of options.workloads) {
        for (const concurrency of options.concurrency) {
          const sagas = Math.max(options.sagas, 2 * concurrency);
          onProgress(`${isolation}, ${workload}: ${sagas} sagas at concurrency ${concurrency}…`);
          const row = await one(runtime, isolation, workload, concurrency, sagas);
          const cpuNote = row.saga.cpuMsPerSaga && row.storeFloor.cpuMsPerSaga ? `; CPU per saga ${cpuText(row.saga.cpuMsPerSaga)} against ${cpuText(row.storeFloor.cpuMsPerSaga)}` : '';
          onProgress(
            `  saga ${row.saga.perSecond}/s, store floor ${row.storeFloor.perSecond}/s, engine floor ${row.engineFloor.perSecond}/s: ratio ${row.throughputRatio}, overhead ${Math.round(row.overheadRatio * 100)} %${cpuNote}`,
          );
          rows.push(row);
        }
      }
    }
  } finally {
    // The first runtime owns DynamoDB Local: close it last.
    for (const runtime of [...runtimes].reverse()) await runtime.close();
  }
  return {
    date,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}`, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) },
    options,
    rows,
  };
}
