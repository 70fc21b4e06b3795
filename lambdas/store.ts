import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransientError } from './errors';

/** Why each item of a cancelled transaction failed, in the order the items were given. */
export function cancellationCodes(err: unknown): string[] | undefined {
  if (err instanceof TransactionCanceledException) {
    return (err.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
  }
  return undefined;
}

const transientNames = new Set([
  'TransactionConflictException',
  'TransactionInProgressException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

/**
 * Turns a storage failure that may pass (throttling, a conflicting transaction) into a `TransientError`,
 * which the state machine retries; anything else is rethrown as it is.
 */
export function asTransient(err: unknown): unknown {
  if (err instanceof Error) {
    const codes = cancellationCodes(err);
    const conflict = codes?.some((code) => code === 'TransactionConflict' || code === 'ThrottlingError');
    if (transientNames.has(err.name) || conflict) {
      return new TransientError(`storage busy, retry: ${err.name}: ${err.message}`, { cause: err });
    }
  }
  return err;
}
