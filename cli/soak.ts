import type { Isolation } from '../local/lambda-pool';
import { parseSagaFailureCause } from '../lib/saga-errors';
import type { LateDeliveryReport } from '../local/late-delivery';
import { LocalRuntime } from '../local/runtime';
import { checkInvariants, type InvariantReport } from './invariants';
import { orderStores } from './stores';
import { generateWorkload, runWorkload } from './workload';

export interface SoakOptions {
  readonly sagas: number;
  readonly seed: number;
  readonly deliverTwice: boolean;
  readonly timeouts: boolean;
  readonly workers: number;
  /** Where the functions run (see LocalRuntimeOptions.isolation). @default 'inline' */
  readonly isolation?: Isolation;
  /** Multiplies function and Task timeouts (see LocalRuntimeOptions.timeoutScale). */
  readonly timeScale: number;
  /** Share of orders that get a second saga (see WorkloadOptions.secondSagas). */
  readonly secondSagas: number;
  /** Deliver late copies of Lambda invocations: once the execution ended, or after a delay in ms. */
  readonly late?: 'execution-end' | number;
  /** Share of invocations that get a late copy. */
  readonly lateShare: number;
  /** Share of sagas stopped while they run (see WorkloadOptions.stops). */
  readonly stops: number;
}

export interface SoakResult {
  readonly report: InvariantReport;
  readonly faults: number;
  readonly duplicates: number;
  readonly late: LateDeliveryReport;
  readonly secondSagas: Record<string, number>;
  readonly stops: number;
  readonly recoveries: number;
  readonly seconds: number;
  readonly statuses: Record<string, number>;
}

/** Runs `sagas` sagas at once, with random faults, on a fresh local runtime, and checks the invariants. */
export async function soak(options: SoakOptions, onProgress: (message: string) => void = () => undefined): Promise<SoakResult> {
  const runtime = await LocalRuntime.start({
    context: { faultInjection: 'true' },
    onProgress,
    maxWorkersPerFunction: options.workers,
    isolation: options.isolation,
    deliverTwice: options.deliverTwice,
    deliverLate: options.late === undefined ? undefined : { after: options.late, share: options.lateShare, seed: options.seed },
    // Retries wait 20 ms. Timeouts run as deployed (scale 1 by default): time an invocation waits for a free local
    // worker counts against neither the function's timeout nor the Task's.
    retryDelayMs: 20,
    timeoutScale: options.timeScale,
  });
  const stop = () => {
    // Closing stops every execution and worker; if that takes long under load, exit anyway (DynamoDB Local is
    // killed on exit): the command ends within seconds of Ctrl-C, whatever is in flight.
    setTimeout(() => process.exit(130), 3_000).unref();
    void runtime.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  try {
    await runtime.warmUp();
    const workload = generateWorkload({ sagas: options.sagas, seed: options.seed, timeouts: options.timeouts, secondSagas: options.secondSagas, stops: options.stops });
    onProgress(`starting ${options.sagas} sagas at once (seed ${options.seed})…`);
    const started = Date.now();
    const stores = orderStores(runtime);
    const ran = await runWorkload(runtime, stores, workload, (done, total) => onProgress(`${done}/${total} sagas ended`));
    const seconds = (Date.now() - started) / 1000;
    const report = await checkInvariants(stores, ran);
    const statuses: Record<string, number> = {};
    for (const { result } of ran.executions) {
      const failure = parseSagaFailureCause(result.cause);
      const why = failure ? ` (${failure.failedStep} failed with ${failure.error})` : result.cause && result.cause.length < 80 ? ` (${result.cause})` : '';
      const key = result.status === 'SUCCEEDED' ? 'SUCCEEDED' : `${result.status} ${result.error}${why}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    return {
      report,
      faults: Object.values(workload.faultCounts).reduce((a, b) => a + b, 0),
      duplicates: runtime.duplicatesDelivered,
      late: await runtime.lateDeliveries(),
      secondSagas: workload.secondSagaCounts,
      stops: workload.stopCount,
      recoveries: ran.recoveries?.length ?? 0,
      seconds,
      statuses,
    };
  } finally {
    process.removeListener('SIGINT', stop);
    await runtime.close();
  }
}

const formatCounts = (counts: Record<string, number>) => {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '' : ` (${entries.map(([k, n]) => `${k} ${n}`).join(', ')})`;
};

/** The invariant report as text. */
export function formatSoak(options: SoakOptions, result: SoakResult): string {
  const lines = [
    `sagas ${options.sagas}, seed ${options.seed}, faults injected ${result.faults}, duplicates delivered ${result.duplicates}, wall time ${result.seconds.toFixed(1)} s`,
    `second sagas ${Object.values(result.secondSagas).reduce((a, b) => a + b, 0)}${formatCounts(result.secondSagas)}, refused as duplicates ${result.report.counts.duplicatesRefused}`,
    `late deliveries ${result.late.delivered}${formatCounts(result.late.outcomes)}`,
    `stops ${result.stops}, sagas that ended without compensating ${result.report.counts.recovered}, recovery executions ${result.recoveries}`,
    ...Object.entries(result.statuses)
      .sort()
      .map(([status, n]) => `  ${status}: ${n}`),
    `compensation failures recorded: ${result.report.counts.compensationFailures}`,
    `invariant violations: ${result.report.violations.length}`,
    ...result.report.violations.slice(0, 50).map((v) => `  ✘ ${v}`),
  ];
  return lines.join('\n');
}
