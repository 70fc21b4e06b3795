import { randomUUID } from 'node:crypto';
import { EventTargetDeliveryError, InvalidEventError, InvalidTargetInputError } from './event-errors';
import type { LocalEventRule, LocalEventTarget } from './event-rules';
import { targetInputText } from './event-target-input';
import { eventTime, type EventBridgeEvent } from './execution-status-event';

/** One delivery of an event to a target, as the dispatcher is told of it. */
export interface TargetDelivery {
  readonly rule: LocalEventRule;
  readonly target: LocalEventTarget;
  /** The event that matched the rule (the original, before any input transformation). */
  readonly event: EventBridgeEvent;
  /** 1 for the first attempt, 2 for the first retry… */
  readonly attempt: number;
}

/** What `sendMessage` is also told: a FIFO group, and the attributes EventBridge puts on a dead-letter message. */
export interface MessageDelivery extends TargetDelivery {
  /** `SqsParameters.MessageGroupId` of the target. @default - none */
  readonly messageGroupId?: string;
  /** Set when the message goes to a target's dead-letter queue (`RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`…). */
  readonly messageAttributes?: Readonly<Record<string, string>>;
  /** True when this is a dead-letter message, not a delivery to an SQS target. */
  readonly deadLetter: boolean;
}

/**
 * What the bus calls to reach targets: the local runtime implements it with its executions, Lambda execution environments and
 * queues. Each call resolves when the target *accepted* the event, as EventBridge counts a delivery: a state machine
 * when the execution started (not when it ends), a Lambda function when the asynchronous invocation was accepted
 * (the function's own error is Lambda's to retry, not EventBridge's), a queue when the message was stored. A
 * rejection is a failed attempt: the bus retries it per the rule's retry policy.
 */
export interface EventTargetDispatcher {
  /** `StartExecution` with the target's input (parsed JSON). */
  startExecution(stateMachineArn: string, input: unknown, delivery: TargetDelivery): Promise<unknown>;
  /** An asynchronous (`Event`) invocation with the target's input (parsed JSON). */
  invokeFunction(functionArn: string, payload: unknown, delivery: TargetDelivery): Promise<unknown>;
  /** `SendMessage` with the target's input text, or the event's JSON for a dead-letter message. */
  sendMessage(queueArn: string, body: string, delivery: MessageDelivery): Promise<unknown>;
}

/** A target that failed for good (reported to `onTargetError`, counted, never thrown into the emitter). */
export interface TargetFailure {
  readonly rule: LocalEventRule;
  readonly target: LocalEventTarget;
  readonly event: EventBridgeEvent;
  /** An {@link EventTargetDeliveryError} whose `cause` is the last attempt's error. */
  readonly error: EventTargetDeliveryError;
  readonly attempts: number;
  /** Whether the event was sent to the target's dead-letter queue. */
  readonly deadLettered: boolean;
}

/** How one target's delivery ended. */
export interface TargetDeliveryOutcome {
  readonly rule: LocalEventRule;
  readonly target: LocalEventTarget;
  readonly status: 'DELIVERED' | 'FAILED';
  readonly attempts: number;
  /** What the dispatcher answered (DELIVERED). */
  readonly result?: unknown;
  /** Why it failed (FAILED). */
  readonly error?: EventTargetDeliveryError;
  readonly deadLettered: boolean;
}

/** What {@link LocalEventBus.put} answers. */
export interface PutEventResult {
  readonly eventId: string;
  /** The enabled rules of this bus whose pattern matched, in template order. */
  readonly matchedRules: readonly LocalEventRule[];
  /** Settles (never rejects) when every target of every matched rule was delivered or failed for good. */
  readonly deliveries: Promise<readonly TargetDeliveryOutcome[]>;
}

/** Counters of a bus since it was created. */
export interface EventBusStats {
  readonly put: number;
  readonly matched: number;
  readonly delivered: number;
  readonly failed: number;
  readonly retried: number;
  readonly deadLettered: number;
}

/** One `PutEvents` entry (what an application or a state machine's `events:putEvents` task sends). */
export interface PutEventEntry {
  readonly source: string;
  readonly detailType: string;
  /** The detail, as an object or JSON text. */
  readonly detail: unknown;
  /** @default [] */
  readonly resources?: readonly string[];
  /** @default - now */
  readonly time?: Date;
}

/** Properties of a {@link LocalEventBus}. */
export interface LocalEventBusProps {
  /** The stack's rules (of every bus: those of other buses are ignored). */
  readonly rules: readonly LocalEventRule[];
  readonly dispatcher: EventTargetDispatcher;
  /** The bus's name. @default 'default' (where AWS services, Step Functions included, send their events) */
  readonly name?: string;
  /** For events built by {@link LocalEventBus.putEntry}. @default 'us-east-1' */
  readonly region?: string;
  /** For events built by {@link LocalEventBus.putEntry}. @default '000000000000' */
  readonly account?: string;
  /**
   * Most retries of one delivery, whatever the rule's `RetryPolicy` allows (AWS retries up to 185 times over 24
   * hours; locally that would hide a broken target). @default 2
   */
  readonly maxRetries?: number;
  /** Wait before the first retry, doubled for each next one. @default 100 */
  readonly retryDelayMs?: number;
  /** Whether a dispatcher error is worth retrying. @default - every error but an InvalidTargetInputError */
  readonly retryable?: (err: unknown) => boolean;
  /** Told of every target that failed for good. An error it throws is swallowed. @default - nothing */
  readonly onTargetError?: (failure: TargetFailure) => void;
  /** The clock (ingestion time, event age). @default () => new Date() */
  readonly now?: () => Date;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

/**
 * A local EventBridge event bus: matches each event put on it against the enabled rules of this bus, computes each
 * target's input as EventBridge does, and hands it to the dispatcher. A failing target is retried a few times (the
 * rule's `RetryPolicy`, capped), then sent to its dead-letter queue if it has one, reported to `onTargetError` and
 * counted; it is never thrown into the code that put the event.
 *
 * @example
 * const bus = new LocalEventBus({
 *   rules: resolveEventRules(template.Resources, { names }),
 *   dispatcher: {
 *     startExecution: async (arn, input) => runtime.startExecution({ stateMachine: arn, input }).executionArn,
 *     invokeFunction: async (arn, payload) => lambdas.invokeAsync(arn, payload),
 *     sendMessage: async (arn, body) => runtime.queues.send(arn, body),
 *   },
 *   onTargetError: (failure) => console.error(failure.error.message),
 * });
 * bus.put(executionStatusChangeEvent(change, { region: 'us-east-1', account: '000000000000' }));
 * await bus.settled();
 */
export class LocalEventBus {
  /** The bus's name. */
  readonly name: string;
  /** The rules of this bus (enabled or not), in template order. */
  readonly rules: readonly LocalEventRule[];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(event: EventBridgeEvent) => void>();
  private readonly counters = { put: 0, matched: 0, delivered: 0, failed: 0, retried: 0, deadLettered: 0 };

  constructor(private readonly props: LocalEventBusProps) {
    this.name = props.name ?? 'default';
    this.rules = props.rules.filter((rule) => rule.eventBusName === this.name);
  }

  /**
   * Calls `listener` with every event put on this bus from now on (matched by a rule or not), before its
   * deliveries; an error it throws is swallowed. Returns the function that unsubscribes it.
   */
  subscribe(listener: (event: EventBridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Counters since the bus was created. */
  get stats(): EventBusStats {
    return { ...this.counters };
  }

  /**
   * Puts an event (a whole envelope) on the bus: answers at once with the matched rules; deliveries run in the
   * background (await `deliveries`, or {@link settled} for every event). Throws {@link InvalidEventError} only for an
   * event `PutEvents` would refuse; a target's failure never throws here.
   */
  put(event: EventBridgeEvent): PutEventResult {
    if (!isObject(event) || typeof event.source !== 'string' || !event.source || typeof event['detail-type'] !== 'string' || !event['detail-type']) {
      throw new InvalidEventError('an event needs a non-empty source and detail-type');
    }
    if (!isObject(event.detail)) throw new InvalidEventError(`event ${String(event.id)}: detail must be a JSON object`);
    this.counters.put++;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener (a log, a console) must not break the bus.
      }
    }
    const ingested = this.now();
    const matchedRules = this.rules.filter((rule) => rule.enabled && rule.pattern.matches(event));
    this.counters.matched += matchedRules.length;
    const deliveries = Promise.all(matchedRules.flatMap((rule) => rule.targets.map((target) => this.deliver(rule, target, event, ingested))));
    this.track(deliveries);
    return { eventId: event.id, matchedRules, deliveries };
  }

  /**
   * Builds the envelope of a `PutEvents` entry (a new id, this bus's account and region, `time` without
   * milliseconds) and puts it.
   *
   * @example
   * bus.putEntry({ source: 'shop.orders', detailType: 'OrderConfirmed', detail: { orderId: 'ord-1' } });
   */
  putEntry(entry: PutEventEntry): PutEventResult {
    let detail: unknown = entry.detail;
    if (typeof detail === 'string') {
      try {
        detail = JSON.parse(detail);
      } catch (err: unknown) {
        throw new InvalidEventError(`detail of ${entry.detailType} is not JSON`, { cause: err });
      }
    }
    return this.put({
      version: '0',
      id: randomUUID(),
      'detail-type': entry.detailType,
      source: entry.source,
      account: this.props.account ?? '000000000000',
      time: eventTime(entry.time ?? this.now()),
      region: this.props.region ?? 'us-east-1',
      resources: [...(entry.resources ?? [])],
      detail,
    });
  }

  /** Resolves when no delivery is in flight, including deliveries of events put while waiting. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private now(): Date {
    return this.props.now?.() ?? new Date();
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private async dispatch(target: LocalEventTarget, text: string, delivery: TargetDelivery): Promise<unknown> {
    const { dispatcher } = this.props;
    if (target.kind === 'sqs-queue') return dispatcher.sendMessage(target.arn, text, { ...delivery, messageGroupId: target.messageGroupId, deadLetter: false });
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (err: unknown) {
      throw new InvalidTargetInputError(`rule ${delivery.rule.name}, target ${target.id}: the ${target.kind}'s input is not JSON: ${text.slice(0, 200)}`, { cause: err });
    }
    return target.kind === 'state-machine' ? dispatcher.startExecution(target.arn, input, delivery) : dispatcher.invokeFunction(target.arn, input, delivery);
  }

  private async deliver(rule: LocalEventRule, target: LocalEventTarget, event: EventBridgeEvent, ingested: Date): Promise<TargetDeliveryOutcome> {
    const maxRetries = Math.min(target.retryPolicy.maximumRetryAttempts, this.props.maxRetries ?? 2);
    const retryable = this.props.retryable ?? ((err: unknown) => !(err instanceof InvalidTargetInputError));
    let attempts = 0;
    let lastError: unknown;
    let exhausted: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' = 'MaximumRetryAttempts';
    try {
      const text = targetInputText(target, event, { ruleName: rule.name, ruleArn: rule.arn, ingestionTime: eventTime(ingested) });
      for (;;) {
        attempts++;
        try {
          const result = await this.dispatch(target, text, { rule, target, event, attempt: attempts });
          this.counters.delivered++;
          return { rule, target, status: 'DELIVERED', attempts, result, deadLettered: false };
        } catch (err: unknown) {
          lastError = err;
          if (!retryable(err) || attempts > maxRetries) break;
          if (this.now().getTime() - ingested.getTime() > target.retryPolicy.maximumEventAgeInSeconds * 1000) {
            exhausted = 'MaximumEventAgeInSeconds';
            break;
          }
          this.counters.retried++;
          await new Promise((done) => setTimeout(done, (this.props.retryDelayMs ?? 100) * 2 ** (attempts - 1)));
        }
      }
    } catch (err: unknown) {
      // The input could not be built: no attempt reached the target.
      lastError = err;
    }
    return this.failed(rule, target, event, attempts, lastError, exhausted);
  }

  private async failed(
    rule: LocalEventRule,
    target: LocalEventTarget,
    event: EventBridgeEvent,
    attempts: number,
    lastError: unknown,
    exhausted: string,
  ): Promise<TargetDeliveryOutcome> {
    this.counters.failed++;
    const cause = toError(lastError);
    let deadLettered = false;
    if (target.deadLetterArn) {
      const messageAttributes = {
        RULE_ARN: rule.arn,
        TARGET_ARN: target.arn,
        ERROR_CODE: cause.name,
        ERROR_MESSAGE: cause.message,
        EXHAUSTED_RETRY_CONDITION: exhausted,
        RETRY_ATTEMPTS: String(Math.max(0, attempts - 1)),
      };
      try {
        await this.props.dispatcher.sendMessage(target.deadLetterArn, JSON.stringify(event), { rule, target, event, attempt: attempts, messageAttributes, deadLetter: true });
        deadLettered = true;
        this.counters.deadLettered++;
      } catch {
        // The dead-letter queue failed too: the failure below still reports the target's own error.
      }
    }
    const error = new EventTargetDeliveryError(
      `rule ${rule.name}: target ${target.id} (${target.arn}) failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause.name}: ${cause.message}`,
      rule.name,
      target.id,
      attempts,
      { cause },
    );
    try {
      this.props.onTargetError?.({ rule, target, event, error, attempts, deadLettered });
    } catch {
      // A reporting callback must not break the bus.
    }
    return { rule, target, status: 'FAILED', attempts, error, deadLettered };
  }
}
