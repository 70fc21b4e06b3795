import { createHash, randomUUID } from 'node:crypto';
import type { LocalQueue } from './local-stack';

/**
 * String message attributes, by name (SQS `DataType: 'String'`): what EventBridge puts on a dead-letter message
 * (`RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`).
 */
export type LocalMessageAttributes = Readonly<Record<string, string>>;

/** A message on a local queue. */
export interface LocalMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: Date;
  /** @default - none (an empty object) */
  readonly attributes: LocalMessageAttributes;
}

/** A message as `receive` hands it out: with the receipt handle that deletes it or changes its visibility. */
export interface ReceivedMessage extends LocalMessage {
  /** Valid until the message is received again (each receive issues a new handle, as SQS does). */
  readonly receiptHandle: string;
  /** How many times the message was received, this time included (SQS's `ApproximateReceiveCount`). */
  readonly receiveCount: number;
}

/** A message not deleted yet, and whether someone holds it (received, within its visibility timeout). */
export interface PendingMessage extends LocalMessage {
  readonly inFlight: boolean;
  readonly receiveCount: number;
}

/** Options of `receive`. */
export interface ReceiveOptions {
  /** At most this many messages (SQS allows 1-10). @default 1 */
  readonly max?: number;
  /** The messages stay invisible to other receives for this long, unless deleted or released. @default 30_000 */
  readonly visibilityTimeoutMs?: number;
}

/** Options of {@link LocalQueues}. */
export interface LocalQueuesOptions {
  /** The clock visibility timeouts are measured with (tests pass their own). @default Date.now */
  readonly now?: () => number;
}

/** A queue address that names no queue of the stack (SQS's `QueueDoesNotExist`). */
export class QueueDoesNotExistError extends Error {
  constructor(address: string) {
    super(`The specified queue does not exist: ${address}`);
    // The name the state machine's Catch sees, as Step Functions names the SQS integration's errors.
    this.name = 'SQS.QueueDoesNotExistException';
  }
}

/** A receipt handle this queue never issued (SQS's `ReceiptHandleIsInvalid`). */
export class ReceiptHandleIsInvalidError extends Error {
  constructor(receiptHandle: string) {
    super(`The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    this.name = 'ReceiptHandleIsInvalid';
  }
}

/** A `receive` option out of SQS's range. */
export class InvalidReceiveOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReceiveOptionError';
  }
}

interface Stored {
  readonly message: LocalMessage;
  deleted: boolean;
  /** Epoch milliseconds before which no receive returns it. */
  visibleAt: number;
  receiveCount: number;
  /** The handle of the latest receive: only it can delete the message or change its visibility. */
  receiptHandle?: string;
}

const DEFAULT_VISIBILITY_MS = 30_000;

/**
 * In-memory SQS queues: what the state machine sends can be read back by tests and the command-line tool, and
 * consumed as from SQS (receive with a visibility timeout, then delete or release).
 *
 * @example
 * const queues = new LocalQueues(stack.queues);
 * queues.send(url, { hello: 'world' });
 * const [message] = queues.receive(url, { max: 10, visibilityTimeoutMs: 60_000 });
 * queues.delete(url, message.receiptHandle);
 * queues.pending(url); // []
 * queues.peek(url); // still the one message: peek shows everything ever sent
 */
export class LocalQueues {
  private readonly messages = new Map<string, Stored[]>();
  private readonly byAddress = new Map<string, LocalQueue>();
  /** Every receipt handle issued, to the message it was issued for. */
  private readonly handles = new Map<string, Stored>();
  private readonly now: () => number;

  constructor(queues: readonly LocalQueue[], options: LocalQueuesOptions = {}) {
    this.now = options.now ?? Date.now;
    for (const q of queues) {
      this.messages.set(q.logicalId, []);
      for (const address of [q.url, q.arn, q.name, q.logicalId]) this.byAddress.set(address, q);
    }
  }

  /** The queue a URL, ARN, name or logical id refers to. */
  queue(address: string): LocalQueue | undefined {
    return this.byAddress.get(address);
  }

  /** `sqs:SendMessage`: stores the message (with optional string attributes) and returns what SQS returns. */
  send(queueUrl: string, body: unknown, attributes: LocalMessageAttributes = {}): { MessageId: string; MD5OfMessageBody: string } {
    const stored = this.storedOf(queueUrl);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const message: LocalMessage = { messageId: randomUUID(), body: text, sentAt: new Date(this.now()), attributes: { ...attributes } };
    stored.push({ message, deleted: false, visibleAt: 0, receiveCount: 0 });
    return { MessageId: message.messageId, MD5OfMessageBody: createHash('md5').update(text).digest('hex') };
  }

  /** Every message sent to a queue so far, deleted or not (nothing is consumed); `[]` for an unknown queue. */
  peek(address: string): readonly LocalMessage[] {
    const queue = this.queue(address);
    return queue ? this.messages.get(queue.logicalId)!.map((s) => s.message) : [];
  }

  /** The messages not deleted yet, oldest first, received or not (SQS's visible plus in-flight messages). */
  pending(address: string): readonly PendingMessage[] {
    const now = this.now();
    return this.storedOf(address)
      .filter((s) => !s.deleted)
      .map((s) => ({ ...s.message, inFlight: s.visibleAt > now, receiveCount: s.receiveCount }));
  }

  /**
   * `sqs:ReceiveMessage`: up to `max` visible messages, oldest first, each with a new receipt handle. They stay
   * invisible for `visibilityTimeoutMs` unless deleted or released before; then another receive gets them again.
   */
  receive(address: string, options: ReceiveOptions = {}): ReceivedMessage[] {
    const max = options.max ?? 1;
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_MS;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw new InvalidReceiveOptionError(`max must be a whole number from 1 to 10, got ${max}`);
    if (!Number.isFinite(visibilityTimeoutMs) || visibilityTimeoutMs < 0) {
      throw new InvalidReceiveOptionError(`visibilityTimeoutMs must be 0 or more, got ${visibilityTimeoutMs}`);
    }
    const now = this.now();
    const received: ReceivedMessage[] = [];
    for (const stored of this.storedOf(address)) {
      if (received.length === max) break;
      if (stored.deleted || stored.visibleAt > now) continue;
      stored.receiveCount++;
      stored.visibleAt = now + visibilityTimeoutMs;
      stored.receiptHandle = randomUUID();
      this.handles.set(stored.receiptHandle, stored);
      received.push({ ...stored.message, receiptHandle: stored.receiptHandle, receiveCount: stored.receiveCount });
    }
    return received;
  }

  /**
   * `sqs:DeleteMessage`. Returns true when this deleted the message; false when it was deleted before or received
   * again since this handle was issued (then, as in SQS, the stale handle deletes nothing).
   * @throws ReceiptHandleIsInvalidError for a handle this queue never issued
   */
  delete(address: string, receiptHandle: string): boolean {
    const stored = this.handleOf(address, receiptHandle);
    if (stored.deleted || stored.receiptHandle !== receiptHandle) return false;
    stored.deleted = true;
    return true;
  }

  /**
   * `sqs:ChangeMessageVisibility`: the message becomes visible `visibilityTimeoutMs` from now (0: at once, to give
   * it back). Returns false, changing nothing, when the handle is stale or the message deleted.
   * @throws ReceiptHandleIsInvalidError for a handle this queue never issued
   */
  changeVisibility(address: string, receiptHandle: string, visibilityTimeoutMs: number): boolean {
    const stored = this.handleOf(address, receiptHandle);
    if (stored.deleted || stored.receiptHandle !== receiptHandle) return false;
    stored.visibleAt = this.now() + Math.max(0, visibilityTimeoutMs);
    return true;
  }

  private storedOf(address: string): Stored[] {
    const queue = this.queue(address);
    if (!queue) throw new QueueDoesNotExistError(address);
    return this.messages.get(queue.logicalId)!;
  }

  private handleOf(address: string, receiptHandle: string): Stored {
    const messages = this.storedOf(address);
    const stored = this.handles.get(receiptHandle);
    if (!stored || !messages.includes(stored)) throw new ReceiptHandleIsInvalidError(receiptHandle);
    return stored;
  }
}
