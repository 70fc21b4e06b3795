import type { Isolation } from '../local/lambda-pool';
import { loadMockConfig } from '../local/mock-config';
import { LocalRuntime, type LocalRuntimeOptions } from '../local/runtime';
import { orderStores, seedDemoData, type OrderStores } from './stores';

/** How fast time runs locally. */
export interface Pace {
  /** Run timeouts and retry waits as deployed. */
  readonly realTime: boolean;
  /** A Step Functions Local mock configuration file (also read from SFN_MOCK_CONFIG). */
  readonly mockConfig?: string;
  /** Where the functions run (see LocalRuntimeOptions.isolation). @default 'inline' */
  readonly isolation?: Isolation;
}

/** Timeouts at 0.3× and 20 ms retry waits keep a local run to seconds while keeping the timeouts' order. */
export function paceOptions(pace: Pace): Pick<LocalRuntimeOptions, 'timeoutScale' | 'retryDelayMs' | 'isolation'> {
  return { isolation: pace.isolation, ...(pace.realTime ? {} : { timeoutScale: 0.3, retryDelayMs: 20 }) };
}

export interface Session {
  readonly runtime: LocalRuntime;
  readonly stores: OrderStores;
  close(): Promise<void>;
}

/**
 * Starts the local runtime with fault injection on, seeds the demo catalogue and customers, and closes everything
 * on Ctrl-C.
 */
export async function startSession(pace: Pace, onProgress: (message: string) => void, handleSignals = true, more: Partial<LocalRuntimeOptions> = {}): Promise<Session> {
  const mockConfigFile = pace.mockConfig ?? (process.env.SFN_MOCK_CONFIG || undefined);
  const mockConfig = mockConfigFile ? loadMockConfig(mockConfigFile) : undefined;
  if (mockConfigFile) onProgress(`mock configuration: ${mockConfigFile} (start executions on <state machine ARN>#<TestCase>)`);
  const runtime = await LocalRuntime.start({ context: { faultInjection: 'true' }, onProgress, mockConfig, ...paceOptions(pace), ...more });
  const close = () => runtime.close();
  const onSignal = () => {
    onProgress('stopping…');
    void close().finally(() => process.exit(130));
  };
  if (handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    const stores = orderStores(runtime);
    onProgress('seeding the demo catalogue and customers, warming the functions…');
    await Promise.all([seedDemoData(stores), runtime.warmUp()]);
    return {
      runtime,
      stores,
      async close() {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        await close();
      },
    };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}
