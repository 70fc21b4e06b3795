/**
 * The ASL engine's named errors. Each class carries the Step Functions error name (`name`, a literal so minification
 * cannot change it) and the cause text AWS would report (`stateCause`; `Error.cause` keeps its ES2022 meaning).
 */

/** Any error a state machine can raise: the error name and cause an execution fails or a Catch matches with. */
export class StatesError extends Error {
  /** The cause text, exactly as Step Functions reports it (`undefined` when AWS reports none). */
  readonly stateCause: string | undefined;

  constructor(name: string | undefined, stateCause?: string, options?: ErrorOptions) {
    super(stateCause ?? name ?? 'States error', options);
    this.name = name ?? '';
    this.stateCause = stateCause;
    /** Whether AWS reports no error name at all (a Fail state without Error). */
    this.hasName = name !== undefined;
  }

  /** False when the error carries no name (AWS then reports `error: null`). */
  readonly hasName: boolean;
}

/** `States.Runtime`: an execution failed on something it could not process (invalid path, bad value type…). */
export class StatesRuntimeError extends StatesError {
  constructor(stateCause: string, options?: ErrorOptions) {
    super('States.Runtime', stateCause, options);
    this.name = 'States.Runtime';
  }
}

/** `States.QueryEvaluationError`: a JSONata expression failed, returned nothing, or returned the wrong type. */
export class QueryEvaluationError extends StatesError {
  /** The field that failed (`Output/result`), for the EvaluationFailed event's `location`. */
  readonly location: string | undefined;

  constructor(stateCause: string, options?: ErrorOptions & { location?: string }) {
    super('States.QueryEvaluationError', stateCause, options);
    this.name = 'States.QueryEvaluationError';
    this.location = options?.location;
  }
}

/** `States.DataLimitExceeded`: a state's output or a task's result exceeds 256 KiB. */
export class DataLimitExceededError extends StatesError {
  constructor(stateCause: string, options?: ErrorOptions) {
    super('States.DataLimitExceeded', stateCause, options);
    this.name = 'States.DataLimitExceeded';
  }
}

/** `States.Timeout`: a Task ran longer than its TimeoutSeconds. */
export class TaskTimeoutError extends StatesError {
  constructor(stateCause?: string, options?: ErrorOptions) {
    super('States.Timeout', stateCause, options);
    this.name = 'States.Timeout';
  }
}

/** `States.HeartbeatTimeout`: a Task did not heartbeat within HeartbeatSeconds. */
export class HeartbeatTimeoutError extends StatesError {
  constructor(stateCause?: string, options?: ErrorOptions) {
    super('States.HeartbeatTimeout', stateCause, options);
    this.name = 'States.HeartbeatTimeout';
  }
}

/** `States.TaskFailed`: a task failed without a more specific error name. */
export class TaskFailedError extends StatesError {
  constructor(stateCause?: string, options?: ErrorOptions) {
    super('States.TaskFailed', stateCause, options);
    this.name = 'States.TaskFailed';
  }
}

/** `States.ResultPathMatchFailure`: ResultPath cannot be applied to the state's input. */
export class ResultPathMatchFailureError extends StatesError {
  constructor(stateCause: string, options?: ErrorOptions) {
    super('States.ResultPathMatchFailure', stateCause, options);
    this.name = 'States.ResultPathMatchFailure';
  }
}

/** `States.ParameterPathFailure`: a path in Parameters does not resolve. */
export class ParameterPathFailureError extends StatesError {
  constructor(stateCause: string, options?: ErrorOptions) {
    super('States.ParameterPathFailure', stateCause, options);
    this.name = 'States.ParameterPathFailure';
  }
}

/** `States.BranchFailed`: a Parallel branch failed. */
export class BranchFailedError extends StatesError {
  constructor(stateCause?: string, options?: ErrorOptions) {
    super('States.BranchFailed', stateCause, options);
    this.name = 'States.BranchFailed';
  }
}

/** `States.NoChoiceMatched`: no Choice rule matched and the state has no Default. */
export class NoChoiceMatchedError extends StatesError {
  constructor(stateCause: string, options?: ErrorOptions) {
    super('States.NoChoiceMatched', stateCause, options);
    this.name = 'States.NoChoiceMatched';
  }
}

/** `States.IntrinsicFailure`: an intrinsic function failed on its arguments. */
export class IntrinsicFailureError extends StatesError {
  constructor(stateCause: string, options?: ErrorOptions) {
    super('States.IntrinsicFailure', stateCause, options);
    this.name = 'States.IntrinsicFailure';
  }
}

/** `States.ExceedToleratedFailureThreshold`: more Map items failed than ToleratedFailureCount/Percentage allow. */
export class ExceedToleratedFailureThresholdError extends StatesError {
  constructor(stateCause?: string, options?: ErrorOptions) {
    super('States.ExceedToleratedFailureThreshold', stateCause, options);
    this.name = 'States.ExceedToleratedFailureThreshold';
  }
}

/** `States.ItemReaderFailed`: a Map's ItemReader could not read its items (the engine reads none: S3 is not emulated). */
export class ItemReaderFailedError extends StatesError {
  constructor(stateCause?: string, options?: ErrorOptions) {
    super('States.ItemReaderFailed', stateCause, options);
    this.name = 'States.ItemReaderFailed';
  }
}

/** Raised by a Task whose resource has no registered handler: refused by name instead of run wrongly. */
export class NoTaskHandlerError extends StatesError {
  constructor(resource: string, options?: ErrorOptions) {
    super('States.Runtime', `No task handler is registered for the resource '${resource}'.`, options);
    this.name = 'States.Runtime';
  }
}

/**
 * What a task handler throws to fail its Task with a chosen error name and cause (what a Lambda function's error type
 * and JSON cause become in Step Functions). Any other thrown `Error` fails with its `name` and `message`.
 *
 * @example
 * throw new TaskError('PaymentDeclined', JSON.stringify({ errorType: 'PaymentDeclined', errorMessage: 'no credit' }));
 */
export class TaskError extends StatesError {
  constructor(error: string, stateCause?: string, options?: ErrorOptions) {
    super(error, stateCause, options);
  }
}

/** Thrown when a definition is not valid ASL (or uses a feature the engine refuses); raised before anything runs. */
export class InvalidDefinitionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidDefinition';
  }
}

/** Internal: the execution was stopped, timed out or aborted; unwinds every running state. */
export class ExecutionInterruptedError extends Error {
  constructor(readonly reason: 'ABORTED' | 'TIMED_OUT', options?: ErrorOptions) {
    super(`execution ${reason}`, options);
    this.name = 'ExecutionInterrupted';
  }
}

/** Internal: a sibling branch or iteration failed, so this one stops (AWS records it as aborted). */
export class BranchAbortedError extends Error {
  constructor(options?: ErrorOptions) {
    super('branch aborted', options);
    this.name = 'BranchAborted';
  }
}

/** Converts anything thrown by a task handler into the error name and cause Step Functions would report. */
export function toStatesError(err: unknown): StatesError {
  if (err instanceof StatesError) return err;
  if (err instanceof Error) {
    const named = err as Error & { errorCause?: unknown };
    const cause = typeof named.errorCause === 'string' ? named.errorCause : err.message;
    return new StatesError(err.name || 'Error', cause, { cause: err });
  }
  return new StatesError('Error', typeof err === 'string' ? err : JSON.stringify(err));
}

/** The error an aborted signal carries (its reason when that is an Error, else an `ExecutionInterruptedError`). */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new ExecutionInterruptedError('ABORTED');
}
