import type { LocalRuntime } from '../../local/runtime';
import type { RunOutcome } from './compare';

/** One execution on the local runtime: a test case of a state machine, its input and execution name. */
export interface OurCase {
  readonly id: string;
  readonly stateMachineArn: string;
  readonly testCase: string;
  readonly executionName: string;
  readonly input: unknown;
}

/**
 * Runs every case on the local runtime (our engine), started as Step Functions Local starts a test case:
 * `<state machine ARN>#<TestCase>`. The runtime must have been started with the MockConfigFile as `mockConfig`.
 */
export async function runOnOurs(runtime: LocalRuntime, cases: readonly OurCase[]): Promise<Map<string, RunOutcome>> {
  const results = await Promise.all(
    cases.map(async (c) => {
      const result = await runtime.startExecution({ stateMachine: `${c.stateMachineArn}#${c.testCase}`, name: c.executionName, input: c.input }).result;
      const outcome: RunOutcome = {
        status: result.status,
        error: result.error,
        cause: result.cause,
        output: result.status === 'SUCCEEDED' ? result.output : undefined,
        statesEntered: result.path,
        retries: result.retries,
      };
      return [c.id, outcome] as const;
    }),
  );
  return new Map(results);
}
