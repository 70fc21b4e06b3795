/** The error names the saga's terminal states end an execution with. */
export const SagaErrorName = {
  /** A step failed and every compensation ran: the effects of the saga were undone. */
  Compensated: 'SagaCompensated',
  /** A step failed and at least one compensation failed for good; it is on the compensation-failures queue. */
  CompensationFailed: 'SagaCompensationFailed',
  /**
   * A step of a stage of several failed: its branch of the stage's Parallel state ends with this error, the step's
   * own error and cause in the cause (`{"step", "error", "cause"}`), and the Parallel's Catch starts the unwinding.
   * It never ends an execution.
   */
  StepFailed: 'SagaStepFailed',
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

/**
 * The cause of a saga execution that ended `SagaCompensated` or `SagaCompensationFailed`, as JSON: which step
 * failed and how, and what every compensation did, in the order the unwinding met them.
 *
 * @example
 * {"failedStep":"ChargePayment","error":"PaymentDeclined","cause":"{\"errorType\":\"PaymentDeclined\",…}",
 *  "compensations":[{"compensation":"CancelShipment","outcome":"ran","result":{…}},
 *                   {"compensation":"RefundPayment","outcome":"failed","error":"Error","cause":"…","queued":true},
 *                   {"compensation":"ReleaseInventory","outcome":"ran","result":{…}},
 *                   {"compensation":"CancelOrder","outcome":"ran","result":{…}}]}
 */
export interface SagaFailureCause {
  /** The step whose failure started the unwinding (a stage's Parallel state, if the stage itself failed). */
  readonly failedStep: string;
  /** The step's error name, as the Catch saw it (`PaymentDeclined`, `States.Timeout`, …). */
  readonly error: string;
  /** The step's error cause (for a Lambda error, its `{ errorType, errorMessage, trace }` as JSON). */
  readonly cause?: string;
  /** Every compensation of the saga, and the failure step last. */
  readonly compensations: readonly SagaCompensationOutcome[];
}

/** What one compensation did during an unwinding. */
export type SagaCompensationOutcome =
  /** It ran and succeeded; `result` is what its function answered. */
  | { readonly compensation: string; readonly outcome: 'ran'; readonly result?: unknown }
  /** It did not run: its step never started, or was rejected alone in its stage, so there was nothing to undo. */
  | { readonly compensation: string; readonly outcome: 'skipped' }
  /** It failed for good; `queued` says whether the failure is on the compensation-failures queue. */
  | { readonly compensation: string; readonly outcome: 'failed'; readonly error: string; readonly cause?: string; readonly queued: boolean };

/** Reads a saga execution's cause as a {@link SagaFailureCause}; undefined when it is not one. */
export function parseSagaFailureCause(cause: string | undefined): SagaFailureCause | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as Partial<SagaFailureCause> | null;
    return parsed && typeof parsed.failedStep === 'string' && Array.isArray(parsed.compensations) ? (parsed as SagaFailureCause) : undefined;
  } catch {
    return undefined;
  }
}
