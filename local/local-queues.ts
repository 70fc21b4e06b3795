import { createHash, randomUUID } from 'node:crypto';
import type { LocalQueue } from './local-stack';

/** A message on a local queue. */
export interface LocalMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: Date;
}

/** In-memory SQS queues: what the state machine sends can be read back by tests and the command-line tool. */
export class LocalQueues {
  private readonly messages = new Map<string, LocalMessage[]>();
  private readonly byAddress = new Map<string, LocalQueue>();

  constructor(queues: readonly LocalQueue[]) {
    for (const q of queues) {
      this.messages.set(q.logicalId, []);
      for (const address of [q.url, q.arn, q.name, q.logicalId]) this.byAddress.set(address, q);
    }
  }

  /** The queue a URL, ARN, name or logical id refers to. */
  queue(address: string): LocalQueue | undefined {
    return this.byAddress.get(address);
  }

  /** `sqs:SendMessage`: stores the message and returns what SQS returns. */
  send(queueUrl: string, body: unknown): { MessageId: string; MD5OfMessageBody: string } {
    const queue = this.queue(queueUrl);
    if (!queue) {
      const error = new Error(`The specified queue does not exist: ${queueUrl}`);
      error.name = 'SQS.QueueDoesNotExistException';
      throw error;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const message: LocalMessage = { messageId: randomUUID(), body: text, sentAt: new Date() };
    this.messages.get(queue.logicalId)!.push(message);
    return { MessageId: message.messageId, MD5OfMessageBody: createHash('md5').update(text).digest('hex') };
  }

  /** Every message sent to a queue so far (nothing is consumed). */
  peek(address: string): readonly LocalMessage[] {
    const queue = this.queue(address);
    return queue ? [...this.messages.get(queue.logicalId)!] : [];
  }
}
