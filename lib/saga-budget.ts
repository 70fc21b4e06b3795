import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** The longest a Lambda function may run, when a function's own timeout cannot be read. */
const LAMBDA_MAX = Duration.minutes(15);

/** What one Task may take at worst: its attempts, each up to `attemptTimeout`, and the waits between them. */
export function worstCase(attemptTimeout: Duration, retry: sfn.RetryProps): number {
  const retries = retry.maxAttempts ?? 3;
  const interval = retry.interval?.toSeconds() ?? 1;
  const backoff = retry.backoffRate ?? 2;
  const cap = retry.maxDelay?.toSeconds() ?? Infinity;
  let waits = 0;
  for (let k = 0; k < retries; k++) waits += Math.min(interval * backoff ** k, cap);
  return (retries + 1) * attemptTimeout.toSeconds() + waits;
}

/** A function's own timeout, if it is a function defined in this app (`lambda.Function`); Lambda's maximum otherwise. */
export function functionTimeout(fn: lambda.IFunction): Duration {
  return fn instanceof lambda.Function ? (fn.timeout ?? Duration.seconds(3)) : LAMBDA_MAX;
}
