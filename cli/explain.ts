import type { ExecutionResult } from '../local/runtime';
import { causeMessage } from './format';

/**
 * The error and message of the step failure that sent the saga into compensation: the last failed Task call
 * before the first state that is not a Task.
 */
export function stepFailure(result: ExecutionResult): { error: string; message?: string } | undefined {
  let last: { error: string; message?: string } | undefined;
  for (const event of result.history) {
    if (event.type === 'TaskFailed' || event.type === 'TaskTimedOut') {
      const details = (event.taskFailedEventDetails ?? event.taskTimedOutEventDetails) as { error: string; cause?: string };
      last = { error: details.error, message: causeMessage(details.cause) };
    }
    if (event.type === 'PassStateEntered' || event.type === 'FailStateEntered') return last;
  }
  return undefined;
}

/** One line that says how an execution ended. */
export function outcome(result: ExecutionResult): string {
  if (result.status === 'SUCCEEDED') return 'SUCCEEDED';
  if (result.status !== 'FAILED') return result.status;
  const cause = result.error === result.cause || !result.cause ? '' : `: ${causeMessage(result.cause)}`;
  return `FAILED ${result.error}${cause}`;
}
