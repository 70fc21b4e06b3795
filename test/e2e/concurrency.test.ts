import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '../../lambdas/domain/store';
import { checkInvariants, type InvariantInput } from '../../cli/invariants';
import type { OrderStores } from '../../cli/stores';
import { generateWorkload, runWorkload } from '../../cli/workload';
import type { LocalRuntime } from '../../local/runtime';
import { startSagaRuntime } from '../helpers/saga-runtime';

/**
 * Many sagas started at once against scarce stock and credit, with random faults. `npm run soak` runs the same
 * check at larger sizes; here the size keeps the suite fast (SAGA_CONCURRENCY raises it).
 */
const sagas = Number(process.env.SAGA_CONCURRENCY ?? 100);

describe.each([
  ['once', false, sagas],
  ['twice (at-least-once delivery)', true, Math.ceil(sagas / 2)],
])('sagas started at once, every invocation delivered %s', (_how, deliverTwice, count) => {
  let runtime: LocalRuntime;
  let stores: OrderStores;
  let ran: InvariantInput;
  beforeAll(async () => {
    // Its own DynamoDB Local: the invariants are checked over whole tables. Timeouts are scaled up, because
    // a Task's timeout includes waiting for a free worker and for DynamoDB Local, both far slower here than on AWS.
    ({ runtime, stores } = await startSagaRuntime({ dynamoDbEndpoint: undefined, deliverTwice, timeoutScale: 4, maxWorkersPerFunction: 16 }));
    ran = await runWorkload(runtime, stores, generateWorkload({ sagas: count, seed: deliverTwice ? 11 : 7, timeouts: false }));
  }, 300_000);
  afterAll(async () => {
    await runtime?.close();
  });

  it('keeps every invariant', async () => {
    const report = await checkInvariants(stores, ran);

    expect(report.violations).toEqual([]);
    expect(report.counts.executions).toBe(count);
  });

  it('rejects many orders for want of stock or credit, and confirms others', () => {
    const causes = ran.executions.map((e) => e.result.cause ?? e.result.status);

    expect(causes.filter((c) => c === 'SUCCEEDED').length).toBeGreaterThan(count / 10);
    expect(causes.filter((c) => /failed with (InsufficientStock|PaymentDeclined)$/.test(c)).length).toBeGreaterThan(count / 20);
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
