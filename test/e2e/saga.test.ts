import { ErrorName } from '../../lambdas/errors';
import type { FaultSpec } from '../../lambdas/schemas';
import { SagaErrorName } from '../../lib/saga';
import type { LocalRuntime } from '../../local/runtime';
import type { OrderStores } from '../../cli/stores';
import { openShop, startSagaRuntime } from '../helpers/saga-runtime';

let runtime: LocalRuntime;
let stores: OrderStores;

beforeAll(async () => {
  ({ runtime, stores } = await startSagaRuntime());
});
afterAll(async () => {
  await runtime?.close();
});

const N = 'CreateOrder';
const R = 'ReserveInventory';
const P = 'ChargePaymentAndScheduleShipment';
const C = 'ChargePayment';
const S = 'ScheduleShipment';
const O = 'ConfirmOrder';
const compensated = ['CancelOrder', 'CheckCompensations', SagaErrorName.Compensated];
/** Any failure in the Parallel stage unwinds both its steps (ScheduleShipment's first), then ReserveInventory. */
const stageUndone = ['CancelShipment', 'RefundPayment', 'ReleaseInventory'];

type Kind = 'business rejection' | 'unknown error' | 'timeout';

/** An address the carrier does not deliver to. */
const antarctica = { line1: 'McMurdo Station', city: 'Ross Island', postcode: '0', country: 'AQ' };

/** How each failure kind is provoked at each step: real business conditions where the domain has them. */
const provoke: Record<string, Partial<Record<Kind, { faults?: Record<string, FaultSpec>; short?: 'stock' | 'credit'; undeliverable?: true; error: string }>>> = {
  [N]: {
    'unknown error': { faults: { [N]: 'Error' }, error: 'Error' },
    timeout: { faults: { [N]: 'Timeout' }, error: 'Lambda.Unknown' },
  },
  [R]: {
    'business rejection': { short: 'stock', error: ErrorName.InsufficientStock },
    'unknown error': { faults: { [R]: 'Error' }, error: 'Error' },
    timeout: { faults: { [R]: 'Timeout' }, error: 'Lambda.Unknown' },
  },
  [C]: {
    'business rejection': { short: 'credit', error: ErrorName.PaymentDeclined },
    'unknown error': { faults: { [C]: 'Error' }, error: 'Error' },
    timeout: { faults: { [C]: 'Timeout' }, error: 'Lambda.Unknown' },
  },
  [S]: {
    'business rejection': { undeliverable: true, error: ErrorName.UndeliverableAddress },
    'unknown error': { faults: { [S]: 'Error' }, error: 'Error' },
    timeout: { faults: { [S]: 'Timeout' }, error: 'Lambda.Unknown' },
  },
  [O]: {
    'business rejection': { faults: { [O]: 'OrderClosed' }, error: ErrorName.OrderClosed },
    'unknown error': { faults: { [O]: 'Error' }, error: 'Error' },
    timeout: { faults: { [O]: 'Timeout' }, error: 'Lambda.Unknown' },
  },
};

/**
 * The paths DESIGN.md prescribes: a rejection of a step alone in its stage unwinds from the previous step, any other
 * failure from the step itself; any failure in the Parallel stage unwinds the whole stage. Both branches enter their
 * steps at once; the failed one's Fail state follows.
 */
const expectedPath: Record<string, Record<Kind, string[]>> = {
  [R]: {
    'business rejection': [N, R, ...compensated],
    'unknown error': [N, R, 'ReleaseInventory', ...compensated],
    timeout: [N, R, 'ReleaseInventory', ...compensated],
  },
  [C]: {
    'business rejection': [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...compensated],
    'unknown error': [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...compensated],
    timeout: [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...compensated],
  },
  [S]: {
    'business rejection': [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...compensated],
    'unknown error': [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...compensated],
    timeout: [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...compensated],
  },
  [O]: {
    'business rejection': [N, R, P, C, S, O, ...stageUndone, ...compensated],
    'unknown error': [N, R, P, C, S, O, ...stageUndone, ...compensated],
    timeout: [N, R, P, C, S, O, ...stageUndone, ...compensated],
  },
  // CreateOrder has no business rejection: it refuses a duplicate order instead (test/e2e/ownership.test.ts).
  [N]: {
    'unknown error': [N, ...compensated],
    timeout: [N, ...compensated],
  } as Record<Kind, string[]>,
};

const matrix = [
  ...[R, C, S, O].flatMap((step) => (['business rejection', 'unknown error', 'timeout'] as Kind[]).map((kind) => [step, kind] as const)),
  [N, 'unknown error'] as const,
  [N, 'timeout'] as const,
];

describe('the order saga on the local runtime', () => {
  it('confirms an order, taking stock and credit exactly once', async () => {
    const shop = await openShop(stores, { price: 1_000 });
    const order = shop.order();

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).toEqual([N, R, P, C, S, O]);
    expect(result.transitions).toBe(6);
    const after = await shop.state(order.orderId);
    expect(after).toMatchObject({ stock: [shop.stock - 2, shop.stock - 1], credit: shop.credit - 2_250, reservation: 'RESERVED', charge: 'CHARGED', shipment: 'SCHEDULED' });
    expect(after.order).toMatchObject({
      status: 'CONFIRMED',
      total: 2_250,
      reservationId: `res-${order.orderId}`,
      chargeId: `chg-${order.orderId}`,
      shipmentId: `shp-${order.orderId}`,
      sagaId: result.executionArn,
    });
    expect(result.output).toMatchObject({ results: { ScheduleShipment: { Payload: { shipmentId: `shp-${order.orderId}`, method: 'collection' } } } });
  });

  it.each(matrix)('%s, %s: unwinds exactly the steps that may have committed, and restores the stores', async (step, kind) => {
    const how = provoke[step][kind]!;
    const shop = await openShop(stores, { stock: how.short === 'stock' ? 1 : 10, credit: how.short === 'credit' ? 100 : 100_000 });
    const order = shop.order({ faults: how.faults, ...(how.undeliverable ? { shipTo: antarctica } : {}) });

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(result.path).toEqual(expectedPath[step][kind]);
    expect(result).toMatchObject({ status: 'FAILED', error: SagaErrorName.Compensated });
    expect(JSON.parse(result.cause!)).toMatchObject({ failedStep: step, error: how.error });
    const after = await shop.state(order.orderId);
    expect(after.stock).toEqual([shop.stock, shop.stock]);
    expect(after.credit).toBe(shop.credit);
    expect(after.order).toMatchObject({ status: 'CANCELLED', failure: { step, error: how.error } });
    expect(after.reservation).not.toBe('RESERVED');
    expect(after.charge).not.toBe('CHARGED');
    expect(after.shipment).not.toBe('SCHEDULED');
  });

  it('ends a compensated saga with a JSON cause: the failed step, its error and cause, and what each compensation did', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ shipTo: antarctica });

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(JSON.parse(result.cause!)).toEqual({
      failedStep: S,
      error: ErrorName.UndeliverableAddress,
      cause: expect.stringContaining('cannot deliver to AQ: the carrier does not deliver to this country'),
      compensations: [
        // The rejected shipment's own compensation finds its rejection: nothing to undo.
        { compensation: 'CancelShipment', outcome: 'ran', result: { shipmentId: `shp-${order.orderId}`, cancellation: { outcome: 'already-undone' } } },
        // ChargePayment may have committed before its branch was stopped, or not: either way it is undone.
        { compensation: 'RefundPayment', outcome: 'ran', result: { chargeId: `chg-${order.orderId}`, refund: { outcome: expect.stringMatching(/^(undone|nothing-to-undo)$/) } } },
        { compensation: 'ReleaseInventory', outcome: 'ran', result: { reservationId: `res-${order.orderId}`, release: { outcome: 'undone' } } },
        { compensation: 'CancelOrder', outcome: 'ran', result: { orderId: order.orderId, outcome: 'cancelled', status: 'CANCELLED' } },
      ],
    });
  });

  it('names skipped compensations in the cause when a step alone in its stage is rejected', async () => {
    const shop = await openShop(stores, { stock: 1 });
    const order = shop.order();

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(JSON.parse(result.cause!)).toMatchObject({
      failedStep: R,
      error: ErrorName.InsufficientStock,
      compensations: [
        { compensation: 'CancelOrder', outcome: 'ran' },
        { compensation: 'CancelShipment', outcome: 'skipped' },
        { compensation: 'RefundPayment', outcome: 'skipped' },
        { compensation: 'ReleaseInventory', outcome: 'skipped' },
      ],
    });
  });

  it('retries a transient error and then succeeds, with the retries in the history', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { [C]: { error: ErrorName.TransientError, times: 2 } } });

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).toEqual([N, R, P, C, S, O]);
    expect(result.retries).toBe(2);
    // ChargePayment's branch runs beside ScheduleShipment's, so their events interleave: count them instead.
    const taskEvents = result.history.filter((e) => ['TaskScheduled', 'TaskFailed', 'TaskSucceeded'].includes(e.type));
    expect(taskEvents.filter((e) => e.type === 'TaskScheduled')).toHaveLength(7);
    expect(taskEvents.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(5);
    const failed = taskEvents.filter((e) => e.type === 'TaskFailed');
    expect(failed).toHaveLength(2);
    for (const event of failed) expect(JSON.stringify(event)).toContain('injected fault at ChargePayment');
    expect((await shop.state(order.orderId)).credit).toBe(shop.credit - 2_250);
  });

  it('records a compensation that fails for good on the queue, still runs the rest, and ends SagaCompensationFailed', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { [O]: 'Error', RefundPayment: 'Error' } });
    const queueUrl = runtime.stack.outputs.CompensationFailuresQueueUrl;
    const before = runtime.queues.peek(queueUrl).length;

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(result.path).toEqual([
      N,
      R,
      P,
      C,
      S,
      O,
      'CancelShipment',
      'RefundPayment',
      'RecordRefundPaymentFailure',
      'ReleaseInventory',
      'CancelOrder',
      'CheckCompensations',
      SagaErrorName.CompensationFailed,
    ]);
    expect(result.error).toBe(SagaErrorName.CompensationFailed);
    expect(JSON.parse(result.cause!).compensations).toContainEqual({
      compensation: 'RefundPayment',
      outcome: 'failed',
      error: 'Error',
      cause: expect.stringContaining('injected fault at RefundPayment'),
      queued: true,
    });
    const messages = runtime.queues.peek(queueUrl).slice(before).map((m) => JSON.parse(m.body) as Record<string, unknown>);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      sagaId: result.executionArn,
      executionArn: result.executionArn,
      step: 'RefundPayment',
      error: 'Error',
      input: { orderId: order.orderId, customerId: shop.customerId },
    });
    expect(JSON.parse(messages[0].cause as string)).toMatchObject({ errorType: 'Error', errorMessage: 'injected fault at RefundPayment' });
    const after = await shop.state(order.orderId);
    expect(after.stock).toEqual([shop.stock, shop.stock]);
    expect(after.charge).toBe('CHARGED');
    expect(after.order?.status).toBe('CANCELLED');
    // The refund was retried 8 times before it was recorded.
    expect(result.history.filter((e) => e.type === 'TaskFailed' && JSON.stringify(e).includes('injected fault at RefundPayment'))).toHaveLength(9);
  });

  it('rejects a malformed order by name, writes nothing and runs no compensation', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ items: [{ sku: shop.sku, quantity: 2.5 }] });

    const result = await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(result).toMatchObject({ status: 'FAILED', error: ErrorName.InvalidOrder, path: [N, 'InputRejected'] });
    expect(JSON.parse(result.cause!)).toMatchObject({ errorMessage: 'items.0.quantity: quantity must be a whole number' });
    expect(await shop.state(order.orderId)).toMatchObject({ stock: [shop.stock, shop.stock], credit: shop.credit, order: undefined, reservation: undefined });
  });

  it('refuses a second execution of the same name, as Step Functions does', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    await runtime.startExecution({ name: order.orderId, input: order }).result;

    expect(() => runtime.startExecution({ name: order.orderId, input: order })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    expect((await shop.state(order.orderId)).stock).toEqual([shop.stock - 2, shop.stock - 1]);
  });
});
