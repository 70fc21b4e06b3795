import { causeMessage } from './format';

/**
 * Repair of the compensation-failures queue: a compensation that failed for good (or an execution-status event
 * the recovery rule could not deliver) is retried by a person once the cause is fixed. The logic is written once,
 * over a {@link RepairPort}; `cli/repair-local.ts` and `cli/repair-aws.ts` hold the two ports.
 */

/** String message attributes by name (what EventBridge puts on a dead-lettered event). */
export type MessageAttributes = Readonly<Record<string, string>>;

/** A message of the compensation-failures queue, as a port hands it out. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: MessageAttributes;
  /** When it was sent, ISO 8601. @default - unknown */
  readonly sentAt?: string;
  /** How many times it was received before (this receive included, when received). @default - unknown */
  readonly receiveCount?: number;
}

/** A message received for repair: hidden from other receivers until deleted or released. */
export interface ReceivedQueueMessage extends QueuedMessage {
  readonly receiptHandle: string;
}

/** What invoking a function gave: its result, or its error as Step Functions would name it. */
export type InvokeOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string; readonly cause: string };

/** What starting an execution gave. */
export type StartOutcome =
  | { readonly ok: true; readonly executionArn: string; readonly alreadyStarted: boolean }
  | { readonly ok: false; readonly error: string; readonly cause: string };

/**
 * What the repair needs from the world: the queue, the state machines' definitions, Lambda and Step Functions.
 * One implementation runs on the local runtime, another on AWS with the SDK.
 */
export interface RepairPort {
  /** The queue, for the report (its URL). */
  readonly queue: string;
  /** Every message on the queue, changing as little as the queue allows (the dry run). */
  list(): Promise<QueuedMessage[]>;
  /** Up to 10 visible messages, each hidden from other receivers for `visibilityTimeoutMs`; `[]` when none is left. */
  receive(visibilityTimeoutMs: number): Promise<ReceivedQueueMessage[]>;
  /** Deletes a received message. */
  delete(message: ReceivedQueueMessage): Promise<void>;
  /** Makes a received message visible again at once, so that it stays on the queue for a person (and the alarm). */
  release(message: ReceivedQueueMessage): Promise<void>;
  /** The definition (ASL, parsed) of the state machine an ARN names. */
  definition(stateMachineArn: string): Promise<Record<string, unknown>>;
  /** Invokes a function synchronously (`RequestResponse`) with a JSON payload. */
  invoke(functionName: string, payload: unknown): Promise<InvokeOutcome>;
  /** Starts an execution; a name already used counts as started already. */
  startExecution(stateMachineArn: string, name: string, input: unknown): Promise<StartOutcome>;
}

/** A message that says which compensation failed for good, for which saga. */
export interface CompensationFailureMessage {
  readonly kind: 'compensation';
  /** The saga that owns the records: its execution ARN. */
  readonly sagaId: string;
  /** The execution that recorded the failure: the saga itself or a recovery execution. */
  readonly executionArn: string;
  readonly step: string;
  readonly error?: string;
  readonly cause?: string;
  /** The saga's state, to invoke the compensation with. */
  readonly input: Record<string, unknown>;
  /** The failure being compensated, when the message carries it beside the state (a recovery's message). */
  readonly failure?: Record<string, unknown>;
}

/** An EventBridge event the recovery rule could not deliver to its target, dead-lettered to the queue. */
export interface DeadLetteredEventMessage {
  readonly kind: 'event';
  /** The state machine the event was for (`TARGET_ARN`). */
  readonly targetArn: string;
  readonly ruleArn?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly detailType?: string;
  readonly event: Record<string, unknown>;
}

/** What a message asks to repair. */
export type RepairRequest = CompensationFailureMessage | DeadLetteredEventMessage;

/** A message that cannot be read as a repair request: kept on the queue, for a person. */
export class UnreadableMessageError extends Error {
  override readonly name = 'UnreadableMessageError';
}

/** A state machine definition without a Lambda Task of that name, or an execution ARN that names none. */
export class StepFunctionNotFoundError extends Error {
  override readonly name = 'StepFunctionNotFound';
}

/** A failure to reach the queue or the saga serve that holds it (exit code 2 of `saga repair`). */
export class RepairConnectionError extends Error {
  override readonly name = 'RepairConnectionError';
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const EXECUTION_ARN = /^(arn:aws[a-z-]*:states:[^:]+:\d{12}):execution:([^:]+):[^:]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:[^:#]+$/;

/**
 * The state machine of a Standard execution: `…:execution:<machine>:<name>` → `…:stateMachine:<machine>`.
 * @throws StepFunctionNotFoundError when the ARN is not a Standard execution's
 */
export function stateMachineArnOf(executionArn: string): string {
  const match = EXECUTION_ARN.exec(executionArn);
  if (!match) throw new StepFunctionNotFoundError(`${executionArn} is not the ARN of a Standard workflow's execution`);
  return `${match[1]}:stateMachine:${match[2]}`;
}

/**
 * The function a Task state invokes: `Parameters.FunctionName` (JSONPath) or `Arguments.FunctionName` (JSONata) of
 * a `lambda:invoke` Task, or the Task's `Resource` when it is a function ARN. States of `Parallel` branches and
 * `Map` iterators are searched too.
 * @throws StepFunctionNotFoundError when no such Task exists, or its function is chosen at run time
 */
export function functionOfStep(definition: Record<string, unknown>, step: string): string {
  const found = findState(definition, step);
  if (!found) throw new StepFunctionNotFoundError(`the state machine has no state ${step}`);
  const resource = optionalString(found.Resource) ?? '';
  if (found.Type === 'Task' && /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:/.test(resource)) return resource;
  if (found.Type === 'Task' && /^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) {
    const args = isRecord(found.Parameters) ? found.Parameters : isRecord(found.Arguments) ? found.Arguments : {};
    const name = args.FunctionName;
    if (typeof name === 'string' && !name.startsWith('{%')) return name;
    throw new StepFunctionNotFoundError(`state ${step} chooses its function at run time: repair cannot tell which function to invoke`);
  }
  throw new StepFunctionNotFoundError(`state ${step} is not a Task that invokes a Lambda function`);
}

function findState(definition: Record<string, unknown>, step: string): Record<string, unknown> | undefined {
  const states = isRecord(definition.States) ? definition.States : {};
  const own = states[step];
  if (isRecord(own)) return own;
  for (const state of Object.values(states)) {
    if (!isRecord(state)) continue;
    const branches: unknown[] = Array.isArray(state.Branches) ? (state.Branches as unknown[]) : [];
    const nested = [...branches, state.ItemProcessor, state.Iterator].filter(isRecord);
    for (const inner of nested) {
      const found = findState(inner, step);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Reads a message: a compensation failure (`{ sagaId, executionArn, step, error, cause, input }`) or a
 * dead-lettered EventBridge event (an event body with a `TARGET_ARN` attribute).
 * @throws UnreadableMessageError naming what is wrong
 */
export function readRepairRequest(message: QueuedMessage): RepairRequest {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch (err: unknown) {
    throw new UnreadableMessageError(`the body is not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (!isRecord(body)) throw new UnreadableMessageError('the body is not a JSON object');
  if (typeof body['detail-type'] === 'string' && isRecord(body.detail)) {
    const targetArn = message.attributes.TARGET_ARN;
    if (!targetArn) throw new UnreadableMessageError('a dead-lettered event without a TARGET_ARN attribute: its target is unknown');
    if (!STATE_MACHINE_ARN.test(targetArn)) throw new UnreadableMessageError(`a dead-lettered event for ${targetArn}: repair restarts state machines only`);
    return {
      kind: 'event',
      targetArn,
      ruleArn: message.attributes.RULE_ARN,
      error: message.attributes.ERROR_CODE,
      cause: message.attributes.ERROR_MESSAGE,
      detailType: body['detail-type'],
      event: body,
    };
  }
  const missing = ['sagaId', 'step'].filter((field) => typeof body[field] !== 'string' || body[field] === '');
  if (!isRecord(body.input)) missing.push('input');
  if (missing.length > 0) throw new UnreadableMessageError(`neither a compensation failure nor a dead-lettered event: ${missing.join(', ')} missing`);
  const sagaId = String(body.sagaId);
  return {
    kind: 'compensation',
    sagaId,
    executionArn: optionalString(body.executionArn) ?? sagaId,
    step: String(body.step),
    error: optionalString(body.error),
    cause: optionalString(body.cause),
    input: body.input as Record<string, unknown>,
    ...(isRecord(body.failure) ? { failure: body.failure } : {}),
  };
}

/**
 * What a compensation said it did: the result's own `outcome`, or the `outcome` of its one undo field (`release`,
 * `refund`): `undone`, `already-undone`, `nothing-to-undo`, `not-owned`; CancelOrder says `cancelled`,
 * `already-cancelled` or `not-owned`.
 */
export function compensationOutcome(result: unknown): { outcome: string; owner?: string } {
  const candidates = isRecord(result) ? [result, ...Object.values(result).filter(isRecord)] : [];
  const said = candidates.find((c) => typeof c.outcome === 'string');
  if (!said) return { outcome: 'done' };
  return { outcome: String(said.outcome), ...(typeof said.owner === 'string' ? { owner: said.owner } : {}) };
}

/** A message as listed (nothing retried). */
export type ListedEntry = { readonly messageId: string; readonly orderId?: string; readonly sentAt?: string; readonly receiveCount?: number } & RepairRequest;

/** A message repaired, and deleted from the queue. */
export type RepairedEntry =
  | {
      readonly kind: 'compensation';
      readonly messageId: string;
      readonly sagaId: string;
      readonly step: string;
      readonly orderId?: string;
      /** What the compensation said it did (see {@link compensationOutcome}). */
      readonly outcome: string;
      /** The saga the record belongs to, when the outcome is `not-owned`. */
      readonly owner?: string;
      readonly result: unknown;
    }
  | {
      readonly kind: 'event';
      readonly messageId: string;
      readonly targetArn: string;
      readonly executionArn: string;
      readonly outcome: 'started' | 'already-started';
    };

/** A message whose repair failed again: kept on the queue. */
export interface StillFailingEntry {
  readonly kind: 'compensation' | 'event';
  readonly messageId: string;
  /** The compensation's saga, or the event's target state machine. */
  readonly sagaId?: string;
  readonly step?: string;
  readonly orderId?: string;
  readonly targetArn?: string;
  /** The new error. */
  readonly error: string;
  readonly cause: string;
}

/** A message that could not be read: kept on the queue. */
export interface UnreadableEntry {
  readonly messageId: string;
  readonly reason: string;
  /** The body, cut to 500 characters. */
  readonly body: string;
}

/** What `saga repair` did (or, with `dryRun`, would do). */
export interface RepairReport {
  readonly queue: string;
  readonly dryRun: boolean;
  /** The readable messages found (dry run only; empty otherwise). */
  readonly listed: readonly ListedEntry[];
  readonly repaired: readonly RepairedEntry[];
  readonly stillFailing: readonly StillFailingEntry[];
  readonly unreadable: readonly UnreadableEntry[];
}

/** Options of {@link repairCompensationFailures}. */
export interface RepairOptions {
  /** Only list the messages: retry nothing, delete nothing. @default false */
  readonly dryRun?: boolean;
  /**
   * How long a received message stays hidden from other receivers while this repair runs (longer than the slowest
   * compensation; a message still kept at the end is made visible again at once).
   * @default 900_000 (15 minutes, the longest a Lambda function can run)
   */
  readonly visibilityTimeoutMs?: number;
}

const orderIdOf = (input: Record<string, unknown>): string | undefined => optionalString(input.orderId);

/** The execution name a dead-lettered event's repair starts: one per message, so repeating a repair is harmless. */
export function repairExecutionName(messageId: string): string {
  return `repair-${messageId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
}

function unreadable(message: QueuedMessage, err: UnreadableMessageError): UnreadableEntry {
  return { messageId: message.messageId, reason: err.message, body: message.body.slice(0, 500) };
}

/**
 * Retries every failure on the queue. A compensation is invoked again as the saga invoked it (`{ sagaId, state }`:
 * compensations are idempotent and touch only their saga's records); a dead-lettered event starts its target state
 * machine with the event as input, under a name derived from the message, so a second start is refused as a
 * duplicate. A message is deleted only when its repair succeeded (a compensation that answers `not-owned` did
 * succeed: the record is another saga's, and this saga has nothing to undo); one that failed again is made
 * visible again, with the new error in the report; one that cannot be read is kept and reported.
 *
 * @example
 * const report = await repairCompensationFailures(localRepairPort(runtime));
 * console.log(formatRepairReport(report));
 */
export async function repairCompensationFailures(port: RepairPort, options: RepairOptions = {}): Promise<RepairReport> {
  if (options.dryRun) {
    const listed: ListedEntry[] = [];
    const bad: UnreadableEntry[] = [];
    for (const message of await port.list()) {
      try {
        const request = readRepairRequest(message);
        const orderId = request.kind === 'compensation' ? orderIdOf(request.input) : undefined;
        listed.push({ messageId: message.messageId, orderId, sentAt: message.sentAt, receiveCount: message.receiveCount, ...request });
      } catch (err: unknown) {
        if (!(err instanceof UnreadableMessageError)) throw err;
        bad.push(unreadable(message, err));
      }
    }
    return { queue: port.queue, dryRun: true, listed, repaired: [], stillFailing: [], unreadable: bad };
  }

  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 900_000;
  const repaired: RepairedEntry[] = [];
  const stillFailing: StillFailingEntry[] = [];
  const bad: UnreadableEntry[] = [];
  // Messages kept on the queue, by id, with their latest receipt handle: they are released only at the end, so
  // that this run does not receive them again. If a run outlasts the visibility timeout and receives one again,
  // it is not retried twice.
  const kept = new Map<string, ReceivedQueueMessage>();
  const done = new Set<string>();
  try {
    for (;;) {
      const batch = await port.receive(visibilityTimeoutMs);
      if (batch.length === 0) break;
      for (const message of batch) {
        if (done.has(message.messageId) || kept.has(message.messageId)) {
          if (kept.has(message.messageId)) kept.set(message.messageId, message);
          continue;
        }
        let request: RepairRequest;
        try {
          request = readRepairRequest(message);
        } catch (err: unknown) {
          if (!(err instanceof UnreadableMessageError)) throw err;
          bad.push(unreadable(message, err));
          kept.set(message.messageId, message);
          continue;
        }
        const outcome = request.kind === 'compensation' ? await retryCompensation(port, message, request) : await restartEvent(port, message, request);
        if ('error' in outcome) {
          stillFailing.push(outcome);
          kept.set(message.messageId, message);
        } else {
          repaired.push(outcome);
          await port.delete(message);
          done.add(message.messageId);
        }
      }
    }
  } finally {
    await Promise.all([...kept.values()].map((m) => port.release(m)));
  }
  return { queue: port.queue, dryRun: false, listed: [], repaired, stillFailing, unreadable: bad };
}

async function retryCompensation(port: RepairPort, message: QueuedMessage, request: CompensationFailureMessage): Promise<RepairedEntry | StillFailingEntry> {
  const { sagaId, step } = request;
  const orderId = orderIdOf(request.input);
  const failing = (error: string, cause: string): StillFailingEntry => ({ kind: 'compensation', messageId: message.messageId, sagaId, step, orderId, error, cause });
  let functionName: string;
  try {
    functionName = functionOfStep(await port.definition(stateMachineArnOf(request.executionArn)), step);
  } catch (err: unknown) {
    return failing(err instanceof Error ? err.name : 'Error', err instanceof Error ? err.message : String(err));
  }
  // As the state machine invoked it: the recovery passes the failure beside the state, the saga inside it.
  const invoked = await port.invoke(functionName, { sagaId, state: request.input, ...(request.failure ? { failure: request.failure } : {}) });
  if (!invoked.ok) return failing(invoked.error, invoked.cause);
  return { kind: 'compensation', messageId: message.messageId, sagaId, step, orderId, ...compensationOutcome(invoked.result), result: invoked.result };
}

async function restartEvent(port: RepairPort, message: QueuedMessage, request: DeadLetteredEventMessage): Promise<RepairedEntry | StillFailingEntry> {
  const started = await port.startExecution(request.targetArn, repairExecutionName(message.messageId), request.event);
  if (!started.ok) return { kind: 'event', messageId: message.messageId, targetArn: request.targetArn, error: started.error, cause: started.cause };
  return {
    kind: 'event',
    messageId: message.messageId,
    targetArn: request.targetArn,
    executionArn: started.executionArn,
    outcome: started.alreadyStarted ? 'already-started' : 'started',
  };
}

/** `saga repair`'s exit code: 0 when nothing is left on the queue (for a dry run: when it is empty), else 1. */
export function repairExitCode(report: RepairReport): 0 | 1 {
  return report.listed.length + report.stillFailing.length + report.unreadable.length === 0 ? 0 : 1;
}

const what = (entry: { kind: string; step?: string; orderId?: string; sagaId?: string; targetArn?: string }) =>
  entry.kind === 'event' ? `dead-lettered event for ${entry.targetArn ?? '?'}` : `${entry.step ?? '?'} of ${entry.orderId ?? entry.sagaId ?? '?'}`;

const OUTCOME_TEXT: Readonly<Record<string, string>> = {
  undone: 'undone now',
  'already-undone': 'had been undone already',
  'nothing-to-undo': 'nothing to undo (the step never committed; a marker now stops a late delivery)',
  'not-owned': 'not this saga’s record: left alone',
  cancelled: 'order cancelled now',
  'already-cancelled': 'order was cancelled already',
  started: 'execution started',
  'already-started': 'execution had been started already',
};

/** The report as lines a person reads. */
export function formatRepairReport(report: RepairReport): string {
  const lines: string[] = [];
  const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const reason = (error: string, cause: string | undefined) => `${error}${cause ? `: ${causeMessage(cause) ?? cause}` : ''}`;
  if (report.dryRun) {
    const total = report.listed.length + report.unreadable.length;
    lines.push(`Compensation-failures queue ${report.queue}: ${total === 0 ? 'empty' : count(total, 'message')}`);
    for (const entry of report.listed) {
      lines.push(`  ${what(entry)} failed with ${reason(entry.error ?? 'an unknown error', entry.cause)}`);
      if (entry.kind === 'compensation') lines.push(`      saga ${entry.sagaId}`);
      else lines.push(`      ${entry.detailType ?? 'event'}${entry.ruleArn ? ` from rule ${entry.ruleArn}` : ''}`);
      lines.push(`      message ${entry.messageId}${entry.sentAt ? `, sent ${entry.sentAt}` : ''}${entry.receiveCount !== undefined ? `, received ${count(entry.receiveCount, 'time')}` : ''}`);
    }
    for (const entry of report.unreadable) lines.push(`  ? message ${entry.messageId}: unreadable: ${entry.reason}`);
    if (total > 0) lines.push('Nothing was retried (--list). Fix the cause, then run saga repair.');
    return lines.join('\n');
  }
  const total = report.repaired.length + report.stillFailing.length + report.unreadable.length;
  lines.push(`Compensation-failures queue ${report.queue}: ${total === 0 ? 'empty, nothing to repair' : count(total, 'message')}`);
  for (const entry of report.repaired) {
    lines.push(`  ✔ ${what(entry)}: ${OUTCOME_TEXT[entry.outcome] ?? entry.outcome}; deleted from the queue`);
    if (entry.kind === 'compensation') lines.push(`      saga ${entry.sagaId}${entry.owner ? `; the record belongs to ${entry.owner}` : ''}`);
    else lines.push(`      ${entry.executionArn}`);
  }
  for (const entry of report.stillFailing) {
    lines.push(`  ✘ ${what(entry)}: still fails with ${reason(entry.error, entry.cause)}; kept on the queue`);
    if (entry.sagaId) lines.push(`      saga ${entry.sagaId}`);
  }
  for (const entry of report.unreadable) lines.push(`  ? message ${entry.messageId}: unreadable: ${entry.reason}; kept on the queue`);
  if (total > 0) {
    const left = report.stillFailing.length + report.unreadable.length;
    const summary = `${report.repaired.length} repaired, ${report.stillFailing.length} still failing, ${report.unreadable.length} unreadable`;
    lines.push(left === 0 ? `${summary}: nothing left to repair.` : `${summary}: fix the cause and run saga repair again (see docs/runbook.md).`);
  }
  return lines.join('\n');
}
