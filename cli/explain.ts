import { parseSagaFailureCause, type SagaCompensationOutcome } from '../lib/saga-errors';
import type { ExecutionResult } from '../local/runtime';
import { causeMessage } from './format';

/**
 * The error and message of the step failure that sent the saga into compensation: the error and cause the
 * execution's structured cause names, or, when the command was refused, the failure just before the Fail state.
 */
export function stepFailure(result: ExecutionResult): { error: string; message?: string } | undefined {
  const structured = parseSagaFailureCause(result.cause);
  if (structured) return { error: structured.error, message: causeMessage(structured.cause) };
  let last: { error: string; message?: string } | undefined;
  for (const event of result.history) {
    if (event.type === 'FailStateEntered') return last;
    if (event.type === 'TaskFailed' || event.type === 'TaskTimedOut') {
      const details = (event.taskFailedEventDetails ?? event.taskTimedOutEventDetails) as { error: string; cause?: string };
      last = { error: details.error, message: causeMessage(details.cause) };
    }
  }
  return last;
}

/** One line that says how an execution ended (`FAILED SagaCompensated: ChargePayment failed with PaymentDeclined`). */
export function outcome(result: ExecutionResult): string {
  if (result.status === 'SUCCEEDED') return 'SUCCEEDED';
  if (result.status !== 'FAILED') return result.status;
  const structured = parseSagaFailureCause(result.cause);
  if (structured) return `FAILED ${result.error}: ${structured.failedStep} failed with ${structured.error}`;
  const cause = result.error === result.cause || !result.cause ? '' : `: ${causeMessage(result.cause)}`;
  return `FAILED ${result.error}${cause}`;
}

/**
 * What each compensation did, one per line, from a failed saga's structured cause (`RefundPayment: ran (undone)`,
 * `CancelShipment: failed with Error, on the queue`, `ReleaseInventory: skipped, nothing to undo`); empty when the
 * cause is not a saga failure.
 */
export function compensationLines(cause: string | undefined): string[] {
  return (parseSagaFailureCause(cause)?.compensations ?? []).map((c) => `${c.compensation}: ${describeOutcome(c)}`);
}

function describeOutcome(c: SagaCompensationOutcome): string {
  if (c.outcome === 'skipped') return 'skipped, nothing to undo';
  if (c.outcome === 'failed') return `failed with ${c.error}${c.cause ? ` (${causeMessage(c.cause)})` : ''}, ${c.queued ? 'on the queue' : 'NOT on the queue'}`;
  const detail = undoOutcomeOf(c.result);
  return detail ? `ran (${detail})` : 'ran';
}

/** The `outcome` a service's compensation reports, at the top of its result or one level down (`refund.outcome`). */
function undoOutcomeOf(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const record = result as Record<string, unknown>;
  if (typeof record.outcome === 'string') return record.outcome;
  for (const value of Object.values(record)) {
    const inner = (value as { outcome?: unknown } | null)?.outcome;
    if (typeof value === 'object' && typeof inner === 'string') return inner;
  }
  return undefined;
}
