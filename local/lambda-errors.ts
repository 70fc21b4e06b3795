import { randomUUID } from 'node:crypto';
import { types } from 'node:util';

/** How a Lambda function failed, as the Lambda service reports it. */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** The error payload of what a handler threw, as the Node.js runtime of Lambda reports it. */
export function describeError(err: unknown): LambdaErrorPayload {
  // \`isNativeError\` also knows an Error of another realm (a test runner's sandbox), which \`instanceof\` does not.
  if (err instanceof Error || types.isNativeError(err)) return { errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

/** A failed invocation: `name` is the error type Step Functions matches on, `message` the JSON cause. */
export class LambdaInvocationFailure extends Error {
  constructor(
    readonly errorType: string,
    readonly cause: string,
    readonly payload: LambdaErrorPayload,
  ) {
    super(cause);
    this.name = errorType;
  }
}

export function failure(error: LambdaErrorPayload): LambdaInvocationFailure {
  return new LambdaInvocationFailure(error.errorType, JSON.stringify(error), error);
}

/**
 * A function that ran past its timeout. Step Functions reports it as an unhandled Lambda error, `Lambda.Unknown`,
 * because the runtime returned no error type (see "Handle Lambda service exceptions" in the Step Functions guide).
 */
export function timedOut(timeoutMs: number): LambdaInvocationFailure {
  const payload = { errorMessage: `${new Date().toISOString()} ${randomUUID()} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` };
  return new LambdaInvocationFailure(
    'Lambda.Unknown',
    `The cause could not be determined because Lambda did not return an error type. Returned payload: ${JSON.stringify(payload)}`,
    { errorType: 'Lambda.Unknown', errorMessage: payload.errorMessage },
  );
}
