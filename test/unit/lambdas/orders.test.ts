import { cancelOrder, confirmOrder, createOrder, failureReason, getOrder } from '../../../lambdas/domain/orders';
import { Keys } from '../../../lambdas/domain/store';
import { ErrorName } from '../../../lambdas/errors';
import type { Failure } from '../../../lambdas/schemas';
import { testStore, uniqueId } from '../../helpers/tables';
import { newSagaId, rawItem } from './fixtures';

const orders = testStore('orders');
const items = [{ sku: 'SKU-KEYBOARD', quantity: 2 }];
const failure = { step: 'ChargePayment', error: 'PaymentDeclined', cause: 'declined' };

function createRequest(orderId: string) {
  return { orderId, customerId: 'cus-ada', items };
}

function confirmRequest(orderId: string) {
  return { orderId, total: 9_998, reservationId: `res-${orderId}`, chargeId: `chg-${orderId}`, shipmentId: `shp-${orderId}` };
}

function cancelRequest(orderId: string, why: Failure = failure) {
  return { orderId, customerId: 'cus-ada', items, failure: why };
}

/** An order created by `sagaId`, then moved to `status` by the same saga. */
async function orderIn(status: 'PENDING' | 'CONFIRMED' | 'CANCELLED', orderId: string, sagaId: string): Promise<void> {
  await createOrder(createRequest(orderId), sagaId, orders);
  if (status === 'CONFIRMED') await confirmOrder(confirmRequest(orderId), sagaId, orders);
  if (status === 'CANCELLED') await cancelOrder(cancelRequest(orderId), sagaId, orders);
}

describe('CreateOrder', () => {
  it('writes the order PENDING, owned by the saga', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const result = await createOrder(createRequest(orderId), sagaId, orders);

    expect(result).toEqual({ orderId, status: 'PENDING' });
    expect(await getOrder(orderId, orders)).toEqual({ orderId, sagaId, customerId: 'cus-ada', items, status: 'PENDING' });
  });

  it('replays the first result to the same saga and writes nothing new', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    const first = await createOrder(createRequest(orderId), sagaId, orders);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const second = await createOrder(createRequest(orderId), sagaId, orders);

    expect(second).toEqual(first);
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it("replays to the same saga whatever the order of a line's fields", async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    // A DynamoDB map is unordered: the stored line need not come back with its fields in the order they were sent.
    const request = { orderId, customerId: 'cus-ada', items: [{ quantity: 2, sku: 'SKU-KEYBOARD' }] };
    const first = await createOrder(request, sagaId, orders);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const second = await createOrder(request, sagaId, orders);

    expect(second).toEqual(first);
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it.each([
    ['PENDING', 'the same content'],
    ['PENDING', 'other content'],
    ['CONFIRMED', 'the same content'],
    ['CONFIRMED', 'other content'],
    ['CANCELLED', 'the same content'],
    ['CANCELLED', 'other content'],
  ] as const)('refuses a second saga for a %s order with %s as DuplicateOrder, and leaves the order unchanged', async (status, content) => {
    const orderId = uniqueId('ord');
    const owner = newSagaId();
    await orderIn(status, orderId, owner);
    const recorded = await rawItem(orders, Keys.order(orderId));
    const request = content === 'the same content' ? createRequest(orderId) : { orderId, customerId: 'cus-grace', items: [{ sku: 'SKU-MOUSE', quantity: 1 }] };

    const attempt = createOrder(request, newSagaId(), orders);

    await expect(attempt).rejects.toMatchObject({
      name: ErrorName.DuplicateOrder,
      orderId,
      owner,
      message: `order ${orderId} already has a saga: it belongs to another saga, with ${content}, now ${status} (${owner})`,
    });
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it('lets exactly one of two sagas racing for the same order create it', async () => {
    const orderId = uniqueId('ord');
    const sagas = [newSagaId(), newSagaId()];

    const results = await Promise.allSettled(sagas.map((sagaId) => createOrder(createRequest(orderId), sagaId, orders)));

    const winners = sagas.filter((_, i) => results[i].status === 'fulfilled');
    const losers = results.filter((r) => r.status === 'rejected').map((r) => r.reason as Error);
    expect(winners).toHaveLength(1);
    expect(losers.map((e) => e.name)).toEqual([ErrorName.DuplicateOrder]);
    expect(losers[0]).toMatchObject({ owner: winners[0] });
    expect(await getOrder(orderId, orders)).toMatchObject({ sagaId: winners[0], status: 'PENDING' });
  });

  it('refuses the same saga with other content as DuplicateOrder, and leaves the order unchanged', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await createOrder(createRequest(orderId), sagaId, orders);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const attempt = createOrder({ orderId, customerId: 'cus-ada', items: [{ sku: 'SKU-KEYBOARD', quantity: 3 }] }, sagaId, orders);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, owner: sagaId });
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it('refuses another saga for the same customer and lines with another shipping address as DuplicateOrder', async () => {
    const orderId = uniqueId('ord');
    const owner = newSagaId();
    const shipTo = { line1: '1 Main Street', city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' };
    await createOrder({ ...createRequest(orderId), shipTo }, owner, orders);
    const recorded = await rawItem(orders, Keys.order(orderId));

    await expect(createOrder({ ...createRequest(orderId), shipTo: { ...shipTo } }, owner, orders)).resolves.toEqual({ orderId, status: 'PENDING' });
    await expect(createOrder({ ...createRequest(orderId), shipTo: { ...shipTo, postcode: 'LS2 2BB' } }, owner, orders)).rejects.toMatchObject({
      name: ErrorName.DuplicateOrder,
      owner,
    });
    await expect(createOrder(createRequest(orderId), owner, orders)).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, owner });
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
    expect(recorded).toMatchObject({ shipTo });
  });

  it('refuses a late delivery with OrderClosed once the same saga cancelled the order', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await orderIn('CANCELLED', orderId, sagaId);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const late = createOrder(createRequest(orderId), sagaId, orders);

    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed, orderId });
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it('cannot commit after its saga cancelled an order that was never created', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    const cancelled = await cancelOrder(cancelRequest(orderId), sagaId, orders);

    const late = createOrder(createRequest(orderId), sagaId, orders);

    expect(cancelled).toEqual({ orderId, outcome: 'cancelled', status: 'CANCELLED' });
    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed });
    expect(await getOrder(orderId, orders)).toEqual({ orderId, sagaId, customerId: 'cus-ada', items, status: 'CANCELLED', failure: { ...failure, reason: 'declined' } });
  });
});

describe('ConfirmOrder', () => {
  it("turns the saga's PENDING order CONFIRMED with total, reservation and charge ids", async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await createOrder(createRequest(orderId), sagaId, orders);

    const result = await confirmOrder(confirmRequest(orderId), sagaId, orders);

    expect(result).toEqual({ ...createRequest(orderId), ...confirmRequest(orderId), sagaId, status: 'CONFIRMED' });
    expect(await getOrder(orderId, orders)).toEqual(result);
  });

  it('replays the confirmed order to the same saga and writes nothing new', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await createOrder(createRequest(orderId), sagaId, orders);
    const first = await confirmOrder(confirmRequest(orderId), sagaId, orders);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const second = await confirmOrder(confirmRequest(orderId), sagaId, orders);

    expect(second).toEqual(first);
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it('refuses to confirm an order that was already cancelled', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await orderIn('CANCELLED', orderId, sagaId);

    await expect(confirmOrder(confirmRequest(orderId), sagaId, orders)).rejects.toMatchObject({ name: ErrorName.OrderClosed });
    expect((await getOrder(orderId, orders))?.status).toBe('CANCELLED');
  });

  it.each(['PENDING', 'CONFIRMED'] as const)("refuses to confirm another saga's %s order with DuplicateOrder, and leaves it unchanged", async (status) => {
    const orderId = uniqueId('ord');
    const owner = newSagaId();
    await orderIn(status, orderId, owner);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const attempt = confirmOrder({ ...confirmRequest(orderId), total: 1 }, newSagaId(), orders);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, orderId, owner });
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
  });

  it('refuses to confirm an order that does not exist with OrderClosed, and writes nothing', async () => {
    const orderId = uniqueId('ord');

    const attempt = confirmOrder(confirmRequest(orderId), newSagaId(), orders);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.OrderClosed, orderId });
    expect(await rawItem(orders, Keys.order(orderId))).toBeUndefined();
  });
});

describe('CancelOrder', () => {
  it("writes the saga's PENDING order CANCELLED with the failure that ended the saga", async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await createOrder(createRequest(orderId), sagaId, orders);

    const result = await cancelOrder(cancelRequest(orderId), sagaId, orders);

    expect(result).toEqual({ orderId, outcome: 'cancelled', status: 'CANCELLED' });
    expect(await getOrder(orderId, orders)).toEqual({ ...createRequest(orderId), sagaId, status: 'CANCELLED', failure: { ...failure, reason: 'declined' } });
  });

  it('is idempotent and keeps the first failure', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await createOrder(createRequest(orderId), sagaId, orders);
    await cancelOrder(cancelRequest(orderId), sagaId, orders);
    const recorded = await rawItem(orders, Keys.order(orderId));

    const second = await cancelOrder(cancelRequest(orderId, { step: 'X', error: 'Y', cause: 'later' }), sagaId, orders);

    expect(second).toEqual({ orderId, outcome: 'already-cancelled', status: 'CANCELLED' });
    expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);
    expect((await getOrder(orderId, orders))?.failure).toEqual({ ...failure, reason: 'declined' });
  });

  it('cancels an order that was confirmed before a later failure un-did it', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await orderIn('CONFIRMED', orderId, sagaId);

    const result = await cancelOrder(cancelRequest(orderId), sagaId, orders);

    expect(result).toEqual({ orderId, outcome: 'cancelled', status: 'CANCELLED' });
    expect(await getOrder(orderId, orders)).toMatchObject({ status: 'CANCELLED', failure, total: 9_998, sagaId });
  });

  it('writes a CANCELLED marker owned by the saga for an order that was never created', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const result = await cancelOrder(cancelRequest(orderId), sagaId, orders);

    expect(result).toEqual({ orderId, outcome: 'cancelled', status: 'CANCELLED' });
    expect(await getOrder(orderId, orders)).toEqual({ ...createRequest(orderId), sagaId, status: 'CANCELLED', failure: { ...failure, reason: 'declined' } });
  });

  it.each(['PENDING', 'CONFIRMED', 'CANCELLED'] as const)(
    "leaves another saga's %s order alone and names its owner, then still cancels it for the owner",
    async (status) => {
      const orderId = uniqueId('ord');
      const owner = newSagaId();
      await orderIn(status, orderId, owner);
      const recorded = await rawItem(orders, Keys.order(orderId));

      const foreign = await cancelOrder(cancelRequest(orderId, { step: 'ReserveInventory', error: 'DuplicateOrder' }), newSagaId(), orders);

      expect(foreign).toEqual({ orderId, outcome: 'not-owned', owner });
      expect(await rawItem(orders, Keys.order(orderId))).toEqual(recorded);

      const own = await cancelOrder(cancelRequest(orderId), owner, orders);

      expect(own).toEqual({ orderId, outcome: status === 'CANCELLED' ? 'already-cancelled' : 'cancelled', status: 'CANCELLED' });
      expect(await getOrder(orderId, orders)).toMatchObject({ sagaId: owner, status: 'CANCELLED', failure: { ...failure, reason: 'declined' } });
    },
  );
});

describe('failureReason', () => {
  it("keeps a Lambda error's message and drops its stack trace", () => {
    const cause = JSON.stringify({ errorType: 'PaymentDeclined', errorMessage: 'payment declined for cus-1: total 10 exceeds available credit 5', trace: ['at x'] });

    expect(failureReason({ step: 'ChargePayment', error: 'PaymentDeclined', cause })).toBe('payment declined for cus-1: total 10 exceeds available credit 5');
  });

  it('keeps a plain cause as it is, and names the error when there is no cause', () => {
    expect(failureReason({ step: 'ReserveInventory', error: 'States.Timeout', cause: 'Task timed out after 15 seconds' })).toBe('Task timed out after 15 seconds');
    expect(failureReason({ step: 'ReserveInventory', error: 'States.Timeout' })).toBe('States.Timeout');
    expect(failureReason({ step: 'ReserveInventory', error: 'States.Timeout', cause: '{"no":"message"}' })).toBe('{"no":"message"}');
  });
});
