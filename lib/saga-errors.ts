/** The error names the saga's terminal states end an execution with. */
export const SagaErrorName = {
  /** A step failed and every compensation ran: the effects of the saga were undone. */
  Compensated: 'SagaCompensated',
  /** A step failed and at least one compensation failed for good; it is on the compensation-failures queue. */
  CompensationFailed: 'SagaCompensationFailed',
} as const;

/** Lambda's own errors that are worth retrying: the service, not the function, failed. */
export const LambdaServiceErrors = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * What a saga's failure step (`onFailure`) answers, as `outcome` in its result, when the saga's ledger (the order)
 * belongs to another saga: this saga never got past its first step, so it has nothing else to undo.
 */
export const SagaOutcome = {
  NotOwned: 'not-owned',
} as const;
