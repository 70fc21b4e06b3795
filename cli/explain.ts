import type { ExecutionResult } from '../local/runtime';
import { causeMessage } from './format';

/**
 * The error and message of the step failure that sent the saga into compensation: the last failed attempt of the
 * step the execution's cause names (`ChargePayment failed with …`), or, when the command was refused, the failure
 * just before the Fail state.
 */
export function stepFailure(result: ExecutionResult): { error: string; message?: string } | undefined {
  const failedStep = /^(\w+) failed with /.exec(result.cause ?? '')?.[1];
  let state: string | undefined;
  let last: { error: string; message?: string } | undefined;
  for (const event of result.history) {
    if (event.type.endsWith('StateEntered')) {
      state = (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
      if (event.type === 'FailStateEntered' && !failedStep) return last;
    }
    if ((event.type === 'TaskFailed' || event.type === 'TaskTimedOut') && (!failedStep || state === failedStep)) {
      const details = (event.taskFailedEventDetails ?? event.taskTimedOutEventDetails) as { error: string; cause?: string };
      last = { error: details.error, message: causeMessage(details.cause) };
    }
  }
  return last;
}

/** One line that says how an execution ended. */
export function outcome(result: ExecutionResult): string {
  if (result.status === 'SUCCEEDED') return 'SUCCEEDED';
  if (result.status !== 'FAILED') return result.status;
  const cause = result.error === result.cause || !result.cause ? '' : `: ${causeMessage(result.cause)}`;
  return `FAILED ${result.error}${cause}`;
}
