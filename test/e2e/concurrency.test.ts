import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '../../lambdas/domain/store';
import { checkInvariants, type InvariantInput } from '../../cli/invariants';
import type { OrderStores } from '../../cli/stores';
import { generateWorkload, runWorkload, type Workload } from '../../cli/workload';
import { parseSagaFailureCause } from '../../lib/saga';
import type { LocalRuntime } from '../../local/runtime';
import { startSagaRuntime } from '../helpers/saga-runtime';

/**
 * Many sagas started at once against scarce stock and credit, with random faults, second sagas for a fifth of the
 * orders (console-style names, concurrent or after the first, same or other content) and late copies of Lambda
 * invocations. `npm run soak` runs the same check at larger sizes; here the size keeps the suite fast
 * (SAGA_CONCURRENCY raises it).
 */
const sagas = Number(process.env.SAGA_CONCURRENCY ?? 100);

describe.each([
  ['once, a tenth of the sagas stopped while they run, and a late copy of a third of the invocations after their execution ended', false, sagas],
  ['twice (at-least-once delivery), and a late copy of a third of them 30 ms later', true, Math.ceil(sagas / 2)],
])('sagas started at once, every invocation delivered %s', (_how, deliverTwice, count) => {
  let runtime: LocalRuntime;
  let stores: OrderStores;
  let ran: InvariantInput;
  let workload: Workload;
  beforeAll(async () => {
    // Its own DynamoDB Local: the invariants are checked over whole tables. Timeouts are scaled up, because
    // a Task's timeout includes waiting for a free worker and for DynamoDB Local, both far slower here than on AWS.
    const seed = deliverTwice ? 11 : 7;
    ({ runtime, stores } = await startSagaRuntime({
      dynamoDbEndpoint: undefined,
      deliverTwice,
      deliverLate: { after: deliverTwice ? 30 : 'execution-end', share: 0.33, seed },
      timeoutScale: 4,
      maxWorkersPerFunction: 16,
    }));
    workload = generateWorkload({ sagas: count, seed, timeouts: false, secondSagas: 0.2, stops: deliverTwice ? 0 : 0.1 });
    ran = await runWorkload(runtime, stores, workload);
  }, 300_000);
  afterAll(async () => {
    await runtime?.close();
  });

  it('keeps every invariant', async () => {
    const report = await checkInvariants(stores, ran);

    expect(report.violations).toEqual([]);
    const seconds = workload.orders.filter((o) => o.second).length;
    expect(seconds).toBeGreaterThan(count / 10);
    expect(report.counts.executions).toBe(count + seconds);
    expect(report.counts.duplicatesRefused).toBeGreaterThan(seconds / 2);
    expect((await runtime.lateDeliveries()).delivered).toBeGreaterThan(count / 2);
    // A stop may land after its saga ended; those that land before are recovered.
    if (workload.stopCount > 0) expect(report.counts.recovered).toBeGreaterThan(0);
    expect(ran.recoveries?.length ?? 0).toBeGreaterThanOrEqual(report.counts.recovered);
  });

  it('rejects many orders for want of stock or credit, some for their address, and confirms others', () => {
    const failedWith = ran.executions.map((e) => (e.result.status === 'SUCCEEDED' ? 'SUCCEEDED' : parseSagaFailureCause(e.result.cause)?.error));

    expect(failedWith.filter((c) => c === 'SUCCEEDED').length).toBeGreaterThan(count / 10);
    expect(failedWith.filter((c) => c === 'InsufficientStock' || c === 'PaymentDeclined').length).toBeGreaterThan(count / 20);
    expect(failedWith.filter((c) => c === 'UndeliverableAddress').length).toBeGreaterThan(0);
  });

  it('notices a shipment still scheduled for an order that was cancelled', async () => {
    // A saga that got as far as ConfirmOrder and whose compensations all ran: its shipment was cancelled.
    const cancelled = ran.executions.find((e) => e.result.error === 'SagaCompensated' && parseSagaFailureCause(e.result.cause)?.failedStep === 'ConfirmOrder');
    const orderId = (cancelled!.input as { orderId: string }).orderId;
    const set = (status: string) =>
      stores.shipping.doc.send(
        new UpdateCommand({ TableName: stores.shipping.tableName, Key: { pk: Keys.shipment(orderId) }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': status } }),
      );
    await set('SCHEDULED');

    const report = await checkInvariants(stores, ran);

    expect(report.violations).toEqual([`shipment of ${orderId} is still SCHEDULED but the order is CANCELLED and no CancelShipment failure is on the queue`]);
    await set('CANCELLED');
  });

  it('notices a record that names another saga than its order', async () => {
    const { result } = ran.executions.find((e) => e.result.status === 'SUCCEEDED')!;
    const orderId = (ran.executions.find((e) => e.result === result)!.input as { orderId: string }).orderId;
    const intruder = `${result.executionArn}-intruder`;
    await stores.inventory.doc.send(
      new UpdateCommand({ TableName: stores.inventory.tableName, Key: { pk: Keys.reservation(orderId) }, UpdateExpression: 'SET sagaId = :other', ExpressionAttributeValues: { ':other': intruder } }),
    );

    const report = await checkInvariants(stores, ran);

    expect(report.violations).toEqual(expect.arrayContaining([`reservation of ${orderId} names ${intruder}, which is no saga of that order`]));
    await stores.inventory.doc.send(
      new UpdateCommand({ TableName: stores.inventory.tableName, Key: { pk: Keys.reservation(orderId) }, UpdateExpression: 'SET sagaId = :owner', ExpressionAttributeValues: { ':owner': result.executionArn } }),
    );
  });

  it('notices when the books do not balance', async () => {
    const [sku] = Object.keys(ran.initialStock);
    await stores.inventory.doc.send(
      new UpdateCommand({ TableName: stores.inventory.tableName, Key: { pk: Keys.sku(sku) }, UpdateExpression: 'ADD stock :one', ExpressionAttributeValues: { ':one': 1 } }),
    );

    const report = await checkInvariants(stores, ran);

    expect(report.violations).toEqual([expect.stringMatching(new RegExp(`^stock of ${sku}: `))]);
  });
});
