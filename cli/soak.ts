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
  /** Multiplies function and Task timeouts (see LocalRuntimeOptions.timeoutScale). */
  readonly timeScale: number;
}

export interface SoakResult {
  readonly report: InvariantReport;
  readonly faults: number;
  readonly duplicates: number;
  readonly seconds: number;
  readonly statuses: Record<string, number>;
}

/** Runs `sagas` sagas at once, with random faults, on a fresh local runtime, and checks the invariants. */
export async function soak(options: SoakOptions, onProgress: (message: string) => void = () => undefined): Promise<SoakResult> {
  const runtime = await LocalRuntime.start({
    context: { faultInjection: 'true' },
    onProgress,
    maxWorkersPerFunction: options.workers,
    deliverTwice: options.deliverTwice,
    // Retries wait 20 ms. A Task's timeout includes the wait for a free worker and for DynamoDB Local, which
    // are far slower here than on AWS: under heavy load, scale timeouts up so they measure the saga, not the emulator.
    retryDelayMs: 20,
    timeoutScale: options.timeScale,
  });
  const stop = () => void runtime.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    await runtime.warmUp();
    const workload = generateWorkload({ sagas: options.sagas, seed: options.seed, timeouts: options.timeouts });
    onProgress(`starting ${options.sagas} sagas at once (seed ${options.seed})…`);
    const started = Date.now();
    const stores = orderStores(runtime);
    const ran = await runWorkload(runtime, stores, workload, (done, total) => onProgress(`${done}/${total} sagas ended`));
    const seconds = (Date.now() - started) / 1000;
    const report = await checkInvariants(stores, ran);
    const statuses: Record<string, number> = {};
    for (const { result } of ran.executions) {
      const key = result.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED ${result.error}${result.cause && result.cause.length < 80 ? ` (${result.cause})` : ''}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    return {
      report,
      faults: Object.values(workload.faultCounts).reduce((a, b) => a + b, 0),
      duplicates: runtime.duplicatesDelivered,
      seconds,
      statuses,
    };
  } finally {
    process.removeListener('SIGINT', stop);
    await runtime.close();
  }
}

/** The invariant report as text. */
export function formatSoak(options: SoakOptions, result: SoakResult): string {
  const lines = [
    `sagas ${options.sagas}, seed ${options.seed}, faults injected ${result.faults}, duplicates delivered ${result.duplicates}, wall time ${result.seconds.toFixed(1)} s`,
    ...Object.entries(result.statuses)
      .sort()
      .map(([status, n]) => `  ${status}: ${n}`),
    `compensation failures recorded: ${result.report.counts.compensationFailures}`,
    `invariant violations: ${result.report.violations.length}`,
    ...result.report.violations.slice(0, 50).map((v) => `  ✘ ${v}`),
  ];
  return lines.join('\n');
}
