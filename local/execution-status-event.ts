import { randomUUID } from 'node:crypto';

/** An event as EventBridge delivers it to targets (the envelope every event pattern is matched against). */
export interface EventBridgeEvent<Detail = unknown> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 without milliseconds, as EventBridge writes it: `2026-01-02T03:04:05Z`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Detail;
}

/** The status of an execution, in a status-change event. */
export type ExecutionEventStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** The `detail` of a "Step Functions Execution Status Change" event. */
export interface ExecutionStatusChangeDetail {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionEventStatus;
  /** Epoch milliseconds. */
  readonly startDate: number;
  /** Epoch milliseconds; null while the execution runs. */
  readonly stopDate: number | null;
  /** The input as JSON text; null when larger than {@link STATUS_CHANGE_DATA_LIMIT_BYTES}. */
  readonly input: string | null;
  /** The output as JSON text; null when there is none (not SUCCEEDED) or it is larger than the limit. */
  readonly output: string | null;
  readonly inputDetails: { readonly included: boolean };
  readonly outputDetails: { readonly included: boolean };
  readonly error: string | null;
  readonly cause: string | null;
}

/** A "Step Functions Execution Status Change" event, as Step Functions sends it to the default event bus. */
export type ExecutionStatusChangeEvent = EventBridgeEvent<ExecutionStatusChangeDetail>;

/** The `source` of Step Functions' events. */
export const STEP_FUNCTIONS_EVENT_SOURCE = 'aws.states';
/** The `detail-type` of an execution's status-change event. */
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';
/**
 * Step Functions puts an execution's input and output in its status-change events only up to 248 KiB each (UTF-8
 * bytes); past that the field is null and its `inputDetails`/`outputDetails.included` is false, so that the event
 * stays under EventBridge's 256 KiB event size.
 */
export const STATUS_CHANGE_DATA_LIMIT_BYTES = 248 * 1024;

/** What the runtime knows of an execution when its status changes. */
export interface ExecutionStatusChange {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionEventStatus;
  readonly startDate: Date;
  /** @default - none: the execution still runs */
  readonly stopDate?: Date;
  /** The input, as a JSON value (serialized with `JSON.stringify`) or, with `inputText`, as the exact text. */
  readonly input?: unknown;
  /** The exact input text (as `StartExecution` received it); wins over `input`. @default - `JSON.stringify(input)` */
  readonly inputText?: string;
  /** The output, as a JSON value; only a SUCCEEDED execution has one. @default - none */
  readonly output?: unknown;
  /** The exact output text; wins over `output`. @default - `JSON.stringify(output)` when there is an output */
  readonly outputText?: string;
  /** @default - none (null in the event) */
  readonly error?: string;
  /** @default - none (null in the event) */
  readonly cause?: string;
}

/** Where the event comes from. */
export interface EventEnvelopeOptions {
  readonly region: string;
  readonly account: string;
  /** @default - a random UUID */
  readonly id?: string;
  /** When the event happened. @default - the execution's stop date, or now while it runs */
  readonly time?: Date;
}

/** A date as EventBridge writes `time`: ISO 8601, seconds precision, `Z`. */
export function eventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function capped(text: string | undefined): { text: string | null; included: boolean } {
  if (text === undefined) return { text: null, included: false };
  return Buffer.byteLength(text, 'utf8') <= STATUS_CHANGE_DATA_LIMIT_BYTES ? { text, included: true } : { text: null, included: false };
}

/**
 * Builds the "Step Functions Execution Status Change" event Step Functions sends to the account's default event
 * bus when an execution starts or ends: input and output as JSON text, capped at
 * {@link STATUS_CHANGE_DATA_LIMIT_BYTES} each; dates as epoch milliseconds; `error` and `cause` null when none.
 *
 * @example
 * const event = executionStatusChangeEvent(
 *   { executionArn, stateMachineArn, name: 'ord-1', status: 'ABORTED', startDate, stopDate: new Date(), input: { orderId: 'ord-1' } },
 *   { region: 'us-east-1', account: '000000000000' },
 * );
 * bus.put(event);
 */
export function executionStatusChangeEvent(change: ExecutionStatusChange, options: EventEnvelopeOptions): ExecutionStatusChangeEvent {
  const inputText = change.inputText ?? (change.input === undefined ? undefined : JSON.stringify(change.input));
  const outputText = change.outputText ?? (change.output === undefined ? undefined : JSON.stringify(change.output));
  const input = capped(inputText);
  const output = capped(outputText);
  return {
    version: '0',
    id: options.id ?? randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: STEP_FUNCTIONS_EVENT_SOURCE,
    account: options.account,
    time: eventTime(options.time ?? change.stopDate ?? new Date()),
    region: options.region,
    resources: [change.executionArn],
    detail: {
      executionArn: change.executionArn,
      stateMachineArn: change.stateMachineArn,
      name: change.name,
      status: change.status,
      startDate: change.startDate.getTime(),
      stopDate: change.stopDate ? change.stopDate.getTime() : null,
      input: input.text,
      output: output.text,
      inputDetails: { included: input.included },
      outputDetails: { included: output.included },
      error: change.error ?? null,
      cause: change.cause ?? null,
    },
  };
}
