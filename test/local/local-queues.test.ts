import { LocalQueues, QueueDoesNotExistError, ReceiptHandleIsInvalidError } from '../../local/local-queues';

const QUEUE = { logicalId: 'Failures', name: 'Failures', url: 'http://sqs.us-east-1.localhost/000000000000/Failures', arn: 'arn:aws:sqs:us-east-1:000000000000:Failures' };
const OTHER = { logicalId: 'Other', name: 'Other', url: 'http://sqs.us-east-1.localhost/000000000000/Other', arn: 'arn:aws:sqs:us-east-1:000000000000:Other' };

/** Queues on a clock the test moves by hand. */
function queues() {
  let now = 1_000_000;
  const q = new LocalQueues([QUEUE, OTHER], { now: () => now });
  return { q, advance: (ms: number) => (now += ms) };
}

describe('LocalQueues', () => {
  it('answers a send as SQS does and keeps every message for peek, whatever is received or deleted', () => {
    const { q } = queues();

    const sent = q.send(QUEUE.url, { a: 1 });
    q.send(QUEUE.arn, 'plain text');
    const [first] = q.receive(QUEUE.url);
    q.delete(QUEUE.url, first.receiptHandle);

    expect(sent).toEqual({ MessageId: expect.any(String), MD5OfMessageBody: 'bb6cb5c68df4652941caf652a366f2d8' });
    expect(q.peek(QUEUE.name).map((m) => m.body)).toEqual(['{"a":1}', 'plain text']);
    expect(q.pending(QUEUE.url).map((m) => m.body)).toEqual(['plain text']);
  });

  it('carries message attributes to receivers', () => {
    const { q } = queues();

    q.send(QUEUE.url, '{}', { TARGET_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:Recovery', ERROR_CODE: 'SDK_CLIENT_ERROR' });
    const [message] = q.receive(QUEUE.url);

    expect(message.attributes).toEqual({ TARGET_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:Recovery', ERROR_CODE: 'SDK_CLIENT_ERROR' });
    expect(q.peek(QUEUE.url)[0].attributes).toEqual(message.attributes);
  });

  it('receives at most max messages, oldest first, each with its own receipt handle', () => {
    const { q } = queues();
    for (const n of [1, 2, 3]) q.send(QUEUE.url, `m${n}`);

    const batch = q.receive(QUEUE.url, { max: 2 });

    expect(batch.map((m) => m.body)).toEqual(['m1', 'm2']);
    expect(new Set(batch.map((m) => m.receiptHandle)).size).toBe(2);
    expect(batch.map((m) => m.receiveCount)).toEqual([1, 1]);
  });

  it('hides a received message until its visibility timeout passes, then hands it out again with a new handle', () => {
    const { q, advance } = queues();
    q.send(QUEUE.url, 'm1');

    const [first] = q.receive(QUEUE.url, { visibilityTimeoutMs: 1_000 });
    const whileHidden = q.receive(QUEUE.url);
    advance(999);
    const justBefore = q.receive(QUEUE.url);
    advance(1);
    const [again] = q.receive(QUEUE.url);

    expect(whileHidden).toEqual([]);
    expect(justBefore).toEqual([]);
    expect(again).toMatchObject({ messageId: first.messageId, receiveCount: 2 });
    expect(again.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('counts a hidden message as pending and in flight, and a deleted one not at all', () => {
    const { q } = queues();
    q.send(QUEUE.url, 'kept');
    q.send(QUEUE.url, 'deleted');
    const [, toDelete] = q.receive(QUEUE.url, { max: 10, visibilityTimeoutMs: 60_000 });

    q.delete(QUEUE.url, toDelete.receiptHandle);

    expect(q.pending(QUEUE.url)).toEqual([expect.objectContaining({ body: 'kept', inFlight: true, receiveCount: 1 })]);
  });

  it('deletes only with the latest receipt handle: a stale one deletes nothing', () => {
    const { q, advance } = queues();
    q.send(QUEUE.url, 'm1');
    const [first] = q.receive(QUEUE.url, { visibilityTimeoutMs: 10 });
    advance(10);
    const [second] = q.receive(QUEUE.url, { visibilityTimeoutMs: 10 });

    const staleDeleted = q.delete(QUEUE.url, first.receiptHandle);
    const pendingAfterStale = q.pending(QUEUE.url).length;
    const deleted = q.delete(QUEUE.url, second.receiptHandle);
    const deletedAgain = q.delete(QUEUE.url, second.receiptHandle);

    expect([staleDeleted, pendingAfterStale, deleted, deletedAgain]).toEqual([false, 1, true, false]);
    expect(q.pending(QUEUE.url)).toEqual([]);
  });

  it('gives a message back at once when its visibility is changed to 0', () => {
    const { q } = queues();
    q.send(QUEUE.url, 'm1');
    const [first] = q.receive(QUEUE.url, { visibilityTimeoutMs: 60_000 });

    const changed = q.changeVisibility(QUEUE.url, first.receiptHandle, 0);
    const [again] = q.receive(QUEUE.url);

    expect(changed).toBe(true);
    expect(again.messageId).toBe(first.messageId);
    expect(q.pending(QUEUE.url)[0].inFlight).toBe(true);
  });

  it('refuses a receipt handle it never issued, or one of another queue', () => {
    const { q } = queues();
    q.send(OTHER.url, 'elsewhere');
    const [other] = q.receive(OTHER.url);

    expect(() => q.delete(QUEUE.url, 'made-up')).toThrow(ReceiptHandleIsInvalidError);
    expect(() => q.delete(QUEUE.url, other.receiptHandle)).toThrow(ReceiptHandleIsInvalidError);
    expect(() => q.changeVisibility(QUEUE.url, 'made-up', 0)).toThrow(ReceiptHandleIsInvalidError);
  });

  it('names an unknown queue with the error Step Functions reports for SQS, and refuses a max out of range', () => {
    const { q } = queues();

    expect(() => q.send('nope', 'x')).toThrow(QueueDoesNotExistError);
    expect(() => q.send('nope', 'x')).toThrow(expect.objectContaining({ name: 'SQS.QueueDoesNotExistException' }));
    expect(() => q.receive(QUEUE.url, { max: 11 })).toThrow('max must be a whole number from 1 to 10, got 11');
    expect(q.peek('nope')).toEqual([]);
  });
});
