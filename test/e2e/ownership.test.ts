import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '../../lambdas/domain/store';
import { ErrorName } from '../../lambdas/errors';
import { SagaErrorName } from '../../lib/saga';
import type { ExecutionResult, LocalRuntime } from '../../local/runtime';
import type { OrderStores } from '../../cli/stores';
import { openShop, startSagaRuntime } from '../helpers/saga-runtime';

/**
 * One order, one saga: the records a saga writes belong to it, whatever its execution is called, and nothing a
 * second saga or a late delivery does can change its outcome. Executions are named as the console names them
 * (a random UUID) unless a test says otherwise.
 */
let runtime: LocalRuntime;
let stores: OrderStores;

beforeAll(async () => {
  ({ runtime, stores } = await startSagaRuntime());
});
afterAll(async () => {
  await runtime?.close();
});

const consoleName = () => randomUUID();

/** What the saga sent to a step's function: the `{ FunctionName, Payload }` of its last TaskScheduled event. */
function sentTo(result: ExecutionResult, step: string): { FunctionName: string; Payload: unknown } {
  const scheduled = result.history
    .filter((e) => e.type === 'TaskScheduled')
    .map((e) => JSON.parse((e.taskScheduledEventDetails as { parameters: string }).parameters) as { FunctionName: string; Payload: unknown })
    .filter((p) => p.FunctionName.includes(`${step}Function`));
  if (scheduled.length === 0) throw new Error(`the saga never invoked ${step}`);
  return scheduled[scheduled.length - 1];
}

/** Invokes a step's function again, after the fact, as a late delivery would. */
async function deliverAgain(result: ExecutionResult, step: string): Promise<{ ok: true; value: unknown } | { ok: false; name: string; cause: string }> {
  const { FunctionName, Payload } = sentTo(result, step);
  return runtime.invokeFunction(FunctionName, Payload).then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, name: err instanceof Error ? err.name : String(err), cause: err instanceof Error ? err.message : '' }),
  );
}

describe('a second saga for an order that already has one', () => {
  it('for a CONFIRMED order, with another name and other content, ends DuplicateOrder at once and changes nothing', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    const first = await runtime.startExecution({ name: order.orderId, input: order }).result;
    const before = await shop.state(order.orderId);

    const second = await runtime.startExecution({ name: consoleName(), input: { ...order, items: [{ sku: shop.other, quantity: 3 }] } }).result;

    expect(first.status).toBe('SUCCEEDED');
    expect(second).toMatchObject({ status: 'FAILED', error: ErrorName.DuplicateOrder, path: ['CreateOrder', 'InputRejected'] });
    expect(second.cause).toContain(first.executionArn);
    expect(await shop.state(order.orderId)).toEqual(before);
    expect(before.order).toMatchObject({ status: 'CONFIRMED', sagaId: first.executionArn });
  });

  it('for a CONFIRMED order, even one set to fail in ReserveInventory, never releases the confirmed stock or cancels the order', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    await runtime.startExecution({ name: consoleName(), input: order }).result;
    const before = await shop.state(order.orderId);

    const second = await runtime.startExecution({ name: consoleName(), input: { ...order, faults: { ReserveInventory: 'Error' } } }).result;

    expect(second).toMatchObject({ status: 'FAILED', error: ErrorName.DuplicateOrder });
    expect(second.path).not.toContain('ReserveInventory');
    const after = await shop.state(order.orderId);
    expect(after).toEqual(before);
    expect(after).toMatchObject({ reservation: 'RESERVED', charge: 'CHARGED', order: { status: 'CONFIRMED' } });
    expect(after.stock).toEqual([shop.stock - 2, shop.stock - 1]);
  });

  it('for an order CANCELLED for lack of stock, does not run the order again, even with the stock back', async () => {
    const shop = await openShop(stores, { stock: 1 });
    const order = shop.order();
    const first = await runtime.startExecution({ name: consoleName(), input: order }).result;
    await stores.inventory.doc.send(
      new UpdateCommand({ TableName: stores.inventory.tableName, Key: { pk: Keys.sku(shop.sku) }, UpdateExpression: 'SET stock = :ten', ExpressionAttributeValues: { ':ten': 10 } }),
    );

    const second = await runtime.startExecution({ name: consoleName(), input: order }).result;

    expect(first).toMatchObject({ status: 'FAILED', error: SagaErrorName.Compensated });
    expect(JSON.parse(first.cause!)).toMatchObject({ failedStep: 'ReserveInventory', error: 'InsufficientStock' });
    expect(second).toMatchObject({ status: 'FAILED', error: ErrorName.DuplicateOrder, path: ['CreateOrder', 'InputRejected'] });
    const after = await shop.state(order.orderId);
    expect(after).toMatchObject({ stock: [10, 1], credit: shop.credit, reservation: 'REJECTED', charge: undefined });
    expect(after.order).toMatchObject({ status: 'CANCELLED', sagaId: first.executionArn, failure: { step: 'ReserveInventory', error: ErrorName.InsufficientStock } });
  });

  it('started at the same instant as the first: exactly one places the order, the other ends DuplicateOrder', async () => {
    const shop = await openShop(stores);
    const order = shop.order();

    const [a, b] = await Promise.all([
      runtime.startExecution({ name: consoleName(), input: order }).result,
      runtime.startExecution({ name: consoleName(), input: order }).result,
    ]);

    const statuses = [a, b].map((r) => r.error ?? r.status).sort();
    expect(statuses).toEqual([ErrorName.DuplicateOrder, 'SUCCEEDED']);
    const winner = a.status === 'SUCCEEDED' ? a : b;
    const after = await shop.state(order.orderId);
    expect(after.order).toMatchObject({ status: 'CONFIRMED', sagaId: winner.executionArn });
    expect(after.stock).toEqual([shop.stock - 2, shop.stock - 1]);
    expect(after.credit).toBe(shop.credit - 2_250);
  });
});

describe('a step delivered again', () => {
  it('by the same saga gets the first result and writes nothing new', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    const result = await runtime.startExecution({ name: consoleName(), input: order }).result;
    const before = await shop.state(order.orderId);

    const again = await Promise.all(['CreateOrder', 'ReserveInventory', 'ChargePayment', 'ScheduleShipment', 'ConfirmOrder'].map((step) => deliverAgain(result, step)));

    expect(again.map((a) => a.ok)).toEqual([true, true, true, true, true]);
    const output = result.output as { results: Record<string, { Payload: unknown }> };
    expect(again.map((a) => (a.ok ? a.value : undefined))).toEqual([
      output.results.CreateOrder.Payload,
      output.results.ReserveInventory.Payload,
      output.results.ChargePayment.Payload,
      output.results.ScheduleShipment.Payload,
      expect.objectContaining({ status: 'CONFIRMED', sagaId: result.executionArn }),
    ]);
    expect(await shop.state(order.orderId)).toEqual(before);
  });

  it('after a rejection cannot commit, even once the stock or credit is there: it gets the same rejection', async () => {
    const shop = await openShop(stores, { credit: 100 });
    const order = shop.order();
    const result = await runtime.startExecution({ name: consoleName(), input: order }).result;
    await stores.payments.doc.send(
      new UpdateCommand({ TableName: stores.payments.tableName, Key: { pk: Keys.customer(shop.customerId) }, UpdateExpression: 'SET credit = :plenty', ExpressionAttributeValues: { ':plenty': 100_000 } }),
    );

    const late = await deliverAgain(result, 'ChargePayment');

    expect(result).toMatchObject({ status: 'FAILED' });
    expect(JSON.parse(result.cause!)).toMatchObject({ failedStep: 'ChargePayment', error: 'PaymentDeclined' });
    expect(late).toMatchObject({ ok: false, name: ErrorName.PaymentDeclined });
    expect(await shop.state(order.orderId)).toMatchObject({ credit: 100_000, charge: 'DECLINED', reservation: 'RELEASED', order: { status: 'CANCELLED' } });
  });

  it('after its saga was compensated cannot commit: OrderClosed, nothing reserved or charged', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { ConfirmOrder: 'Error' } });
    const result = await runtime.startExecution({ name: consoleName(), input: order }).result;

    const late = await Promise.all(['CreateOrder', 'ReserveInventory', 'ChargePayment', 'ScheduleShipment', 'ConfirmOrder'].map((step) => deliverAgain(result, step)));

    expect(result.error).toBe(SagaErrorName.Compensated);
    // ConfirmOrder's injected fault fires on every delivery; the others find their step closed.
    expect(late.map((l) => (l.ok ? 'committed' : l.name))).toEqual([ErrorName.OrderClosed, ErrorName.OrderClosed, ErrorName.OrderClosed, ErrorName.OrderClosed, 'Error']);
    expect(await shop.state(order.orderId)).toMatchObject({
      stock: [shop.stock, shop.stock],
      credit: shop.credit,
      reservation: 'RELEASED',
      charge: 'REFUNDED',
      shipment: 'CANCELLED',
      order: { status: 'CANCELLED' },
    });
  });
});

describe('a compensation of another saga', () => {
  it.each(['ReleaseInventory', 'RefundPayment', 'CancelShipment', 'CancelOrder'])('%s leaves a confirmed order of another saga alone, and says so', async (compensation) => {
    const shop = await openShop(stores);
    const order = shop.order();
    const owner = await runtime.startExecution({ name: consoleName(), input: order }).result;
    const before = await shop.state(order.orderId);
    const functionName = runtime.stack.functions.find((f) => f.logicalId.startsWith(`${compensation}Function`))!.name;
    const intruder = owner.executionArn.replace(/:[^:]+$/, `:${consoleName()}`);

    const result = await runtime.invokeFunction(functionName, {
      sagaId: intruder,
      state: { ...order, failure: { step: 'ReserveInventory', error: 'Error' } },
    });

    expect(JSON.stringify(result)).toContain('not-owned');
    expect(JSON.stringify(result)).toContain(owner.executionArn);
    expect(await shop.state(order.orderId)).toEqual(before);
  });
});

describe('late deliveries from the runtime', () => {
  let late: { runtime: LocalRuntime; stores: OrderStores };
  beforeAll(async () => {
    late = await startSagaRuntime({ deliverLate: { after: 'execution-end' } });
  });
  afterAll(async () => {
    await late?.runtime.close();
  });

  it('deliver every invocation again once the execution ended, and none of them changes the outcome', async () => {
    const shop = await openShop(late.stores);
    const confirmed = shop.order();
    const compensated = shop.order({ faults: { ChargePayment: 'Error' } });
    const rejected = shop.order({ items: [{ sku: shop.sku, quantity: shop.stock + 1 }] });

    const results = await Promise.all([confirmed, compensated, rejected].map((o) => late.runtime.startExecution({ name: consoleName(), input: o }).result));
    const report = await late.runtime.lateDeliveries();

    expect(results.map((r) => r.error ?? r.status)).toEqual(['SUCCEEDED', SagaErrorName.Compensated, SagaErrorName.Compensated]);
    const transitionsWithLambda = results.flatMap((r) => r.history.filter((e) => e.type === 'TaskScheduled'));
    expect(report.delivered).toBe(transitionsWithLambda.length);
    expect(report.outcomes[ErrorName.OrderClosed]).toBeGreaterThan(0);
    const after = await Promise.all([confirmed, compensated, rejected].map((o) => shop.state(o.orderId)));
    expect(after[0]).toMatchObject({ reservation: 'RESERVED', charge: 'CHARGED', order: { status: 'CONFIRMED' } });
    expect(after[1]).toMatchObject({ reservation: 'RELEASED', charge: 'REFUNDED', order: { status: 'CANCELLED' } });
    expect(after[2]).toMatchObject({ reservation: 'REJECTED', charge: undefined, order: { status: 'CANCELLED' } });
    expect(after[0].stock).toEqual([shop.stock - 2, shop.stock - 1]);
    expect(after[0].credit).toBe(shop.credit - 2_250);
  });
});
