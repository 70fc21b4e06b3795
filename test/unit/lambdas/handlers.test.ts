import { getCatalogue, getReservation } from '../../../lambdas/domain/inventory';
import { getOrder } from '../../../lambdas/domain/orders';
import { seedCatalogue, seedCustomers } from '../../../lambdas/domain/seed';
import { Keys } from '../../../lambdas/domain/store';
import { ErrorName } from '../../../lambdas/errors';
import { TestTables, testStore, uniqueId } from '../../helpers/tables';
import { newSagaId, rawItem } from './fixtures';

type Handler = (event: unknown, context?: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

/** Loads a handler module the way Lambda does: fresh, with its environment set before it is imported. */
async function loadHandler(file: string, table: keyof typeof TestTables, faultInjection: boolean): Promise<Handler> {
  let handler: Handler | undefined;
  process.env.TABLE_NAME = TestTables[table];
  process.env.FAULT_INJECTION = faultInjection ? 'enabled' : 'disabled';
  await jest.isolateModulesAsync(async () => {
    ({ handler } = (await import(`../../../lambdas/${file}`)) as { handler: Handler });
  });
  return handler!;
}

const inventory = testStore('inventory');
const payments = testStore('payments');
const orders = testStore('orders');

/** What a state machine's Task sends each function: the execution ARN and the saga's state. */
const request = (state: unknown, sagaId = newSagaId()) => ({ sagaId, state });

describe('CreateOrder handler', () => {
  let create: Handler;
  let createWithoutFaults: Handler;
  beforeAll(async () => {
    create = await loadHandler('create-order', 'orders', true);
    createWithoutFaults = await loadHandler('create-order', 'orders', false);
  });

  it('creates the order PENDING, owned by the saga the request names', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const result = await create(request({ orderId, customerId: 'c', items: [{ sku: 'S', quantity: 1 }] }, sagaId));

    expect(result).toEqual({ orderId, status: 'PENDING' });
    expect(await getOrder(orderId, orders)).toEqual({ orderId, sagaId, customerId: 'c', items: [{ sku: 'S', quantity: 1 }], status: 'PENDING' });
  });

  it.each([
    ['a missing customerId', { orderId: 'o-1', items: [{ sku: 'S', quantity: 1 }] }, 'customerId: customerId is required'],
    ['a zero quantity', { orderId: 'o-1', customerId: 'c', items: [{ sku: 'S', quantity: 0 }] }, 'items.0.quantity: quantity must be at least 1'],
    ['a fractional quantity', { orderId: 'o-1', customerId: 'c', items: [{ sku: 'S', quantity: 1.5 }] }, 'items.0.quantity: quantity must be a whole number'],
    ['a duplicate SKU', { orderId: 'o-1', customerId: 'c', items: [{ sku: 'S', quantity: 1 }, { sku: 'S', quantity: 2 }] }, 'items.1.sku: duplicate sku S'],
    ['no lines', { orderId: 'o-1', customerId: 'c', items: [] }, 'items: items must hold at least one line'],
    ['an extra field', { orderId: 'o-1', customerId: 'c', items: [{ sku: 'S', quantity: 1 }], coupon: 'FREE' }, 'unknown key "coupon"'],
    ['an id with a space', { orderId: 'o 1', customerId: 'c', items: [{ sku: 'S', quantity: 1 }] }, "orderId: orderId may contain only letters, digits, '-' and '_'"],
    ['a non-object', 'PlaceOrder', 'the order must be a JSON object, got string'],
    ['an array', [], 'the order must be a JSON object, got an array'],
  ])('rejects %s with InvalidOrder naming the problem', async (_what, state, message) => {
    await expect(create(request(state))).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: expect.stringContaining(message) });
  });

  it('writes nothing for an invalid order', async () => {
    const orderId = uniqueId('ord');

    const attempt = create(request({ orderId, customerId: 'c', items: [{ sku: 'S', quantity: 1 }, { sku: 'S', quantity: 1 }] }));

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.InvalidOrder });
    expect(await rawItem(orders, Keys.order(orderId))).toBeUndefined();
  });

  it('refuses faults when fault injection is disabled, and writes nothing', async () => {
    const orderId = uniqueId('ord');
    const state = { orderId, customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ChargePayment: 'PaymentDeclined' } };

    const attempt = createWithoutFaults(request(state));

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: 'faults: fault injection is disabled in this deployment' });
    expect(await rawItem(orders, Keys.order(orderId))).toBeUndefined();
  });

  it('rejects a fault at a step that does not exist, instead of ignoring it', async () => {
    const state = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ChargePaymnet: 'Error' } };

    await expect(create(request(state))).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: 'faults: unknown key "ChargePaymnet"' });
  });

  it('rejects a fault that names no known error', async () => {
    const state = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ReserveInventory: 'Explode' } };

    await expect(create(request(state))).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: expect.stringContaining('faults.ReserveInventory') });
  });

  it('refuses a second saga for the same order with DuplicateOrder, and leaves the order unchanged', async () => {
    const state = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }] };
    const owner = newSagaId();
    await create(request(state, owner));
    const recorded = await rawItem(orders, Keys.order(state.orderId));

    const attempt = create(request(state));

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, owner });
    expect(await rawItem(orders, Keys.order(state.orderId))).toEqual(recorded);
  });
});

describe('every handler', () => {
  it.each([
    ['create-order', 'orders'],
    ['reserve-inventory', 'inventory'],
    ['charge-payment', 'payments'],
    ['confirm-order', 'orders'],
    ['release-inventory', 'inventory'],
    ['refund-payment', 'payments'],
    ['cancel-order', 'orders'],
  ] as const)('%s refuses a request without sagaId with ConfigurationError, and writes nothing', async (file, table) => {
    const handler = await loadHandler(file, table, false);
    const orderId = uniqueId('ord');
    const state = {
      orderId,
      customerId: 'c',
      items: [{ sku: 'S', quantity: 1 }],
      results: {
        ReserveInventory: { Payload: { reservationId: `res-${orderId}`, total: 100 } },
        ChargePayment: { Payload: { chargeId: `chg-${orderId}`, amount: 100 } },
      },
    };

    const bare = handler(state);
    const unnamed = handler({ state });

    await expect(bare).rejects.toMatchObject({ name: ErrorName.ConfigurationError, message: expect.stringContaining('sagaId') });
    await expect(unnamed).rejects.toMatchObject({ name: ErrorName.ConfigurationError, message: expect.stringContaining('sagaId') });
    const store = testStore(table);
    for (const pk of [Keys.order(orderId), Keys.reservation(orderId), Keys.charge(orderId)]) expect(await rawItem(store, pk)).toBeUndefined();
  });
});

describe('ReserveInventory handler', () => {
  let reserve: Handler;
  beforeAll(async () => {
    reserve = await loadHandler('reserve-inventory', 'inventory', true);
  });

  it('reads the order from the saga state and lets the fields of other steps through', async () => {
    const sku = uniqueId('SKU');
    const orderId = uniqueId('ord');
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);
    const state = { orderId, customerId: 'c', items: [{ sku, quantity: 2 }], results: { CreateOrder: { Payload: { orderId, status: 'PENDING' } } }, note: 'kept' };

    const result = await reserve(request(state));

    expect(result).toEqual({ reservationId: `res-${orderId}`, total: 200 });
    expect((await getCatalogue([sku], inventory)).get(sku)?.stock).toBe(3);
  });

  it('raises an injected business rejection before writing anything', async () => {
    const sku = uniqueId('SKU');
    const orderId = uniqueId('ord');
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);

    const attempt = reserve(request({ orderId, customerId: 'c', items: [{ sku, quantity: 1 }], faults: { ReserveInventory: 'InsufficientStock' } }));

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.InsufficientStock });
    expect(await getReservation(orderId, inventory)).toBeUndefined();
    expect((await getCatalogue([sku], inventory)).get(sku)?.stock).toBe(5);
  });

  it('raises an injected transient error only on the first attempts asked for', async () => {
    const sku = uniqueId('SKU');
    const order = {
      orderId: uniqueId('ord'),
      customerId: 'c',
      items: [{ sku, quantity: 1 }],
      faults: { ReserveInventory: { error: 'TransientError', times: 2 } },
    };
    const sagaId = newSagaId();
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);

    const outcomes = [];
    for (let attempt = 0; attempt < 3; attempt++) outcomes.push(await reserve(request(order, sagaId)).then(() => 'ok', (e: Error) => e.name));

    expect(outcomes).toEqual([ErrorName.TransientError, ErrorName.TransientError, 'ok']);
  });

  it('counts the fault attempts of two sagas for the same order apart', async () => {
    const sku = uniqueId('SKU');
    const order = {
      orderId: uniqueId('ord'),
      customerId: 'c',
      items: [{ sku, quantity: 1 }],
      faults: { ReserveInventory: { error: 'TransientError', times: 1 } },
    };
    const [first, second] = [newSagaId(), newSagaId()];
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);
    const attempt = (sagaId: string) => reserve(request(order, sagaId)).then(() => 'ok', (e: Error) => e.name);

    // Interleaved: had the two sagas shared one counter, the second saga's first attempt would have got past the fault.
    const outcomes = [await attempt(first), await attempt(second), await attempt(first), await attempt(second)];

    expect(outcomes).toEqual([ErrorName.TransientError, ErrorName.TransientError, 'ok', ErrorName.DuplicateOrder]);
    expect(await rawItem(inventory, Keys.faultAttempts(first, 'ReserveInventory'))).toMatchObject({ attempts: 2 });
    expect(await rawItem(inventory, Keys.faultAttempts(second, 'ReserveInventory'))).toMatchObject({ attempts: 2 });
    expect((await getReservation(order.orderId, inventory))?.sagaId).toBe(first);
    expect((await getCatalogue([sku], inventory)).get(sku)?.stock).toBe(4);
  });

  it('outlives the function timeout for an injected Timeout', async () => {
    const order = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ReserveInventory: 'Timeout' } };
    const started = Date.now();

    await expect(reserve(request(order), { getRemainingTimeInMillis: () => 50 })).rejects.toThrow(/still running after the function timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});

describe('ChargePayment handler', () => {
  it('charges the total that ReserveInventory computed', async () => {
    const charge = await loadHandler('charge-payment', 'payments', false);
    const customerId = uniqueId('cus');
    await seedCustomers([{ customerId, credit: 10_000 }], payments);
    const orderId = uniqueId('ord');

    const result = await charge(
      request({
        orderId,
        customerId,
        items: [{ sku: 'S', quantity: 1 }],
        results: { ReserveInventory: { Payload: { reservationId: `res-${orderId}`, total: 4_321 } } },
      }),
    );

    expect(result).toEqual({ chargeId: `chg-${orderId}`, amount: 4_321 });
  });

  it('names a missing reservation result instead of charging nothing', async () => {
    const charge = await loadHandler('charge-payment', 'payments', false);

    await expect(charge(request({ orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }] }))).rejects.toMatchObject({
      name: ErrorName.InvalidOrder,
      message: expect.stringContaining('results'),
    });
  });
});

describe('compensation handlers', () => {
  it('ReleaseInventory releases only for the saga the request names', async () => {
    const reserve = await loadHandler('reserve-inventory', 'inventory', false);
    const release = await loadHandler('release-inventory', 'inventory', false);
    const sku = uniqueId('SKU');
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);
    const state = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku, quantity: 2 }] };
    const owner = newSagaId();
    await reserve(request(state, owner));

    const foreign = await release(request(state));
    const own = await release(request(state, owner));

    expect(foreign).toEqual({ reservationId: `res-${state.orderId}`, release: { outcome: 'not-owned', owner } });
    expect(own).toEqual({ reservationId: `res-${state.orderId}`, release: { outcome: 'undone' } });
    expect((await getCatalogue([sku], inventory)).get(sku)?.stock).toBe(5);
  });

  it('CancelOrder records the failure the saga state carries', async () => {
    const cancel = await loadHandler('cancel-order', 'orders', false);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    const failure = { step: 'ChargePayment', error: 'PaymentDeclined', cause: 'declined' };

    const result = await cancel(request({ orderId, customerId: 'c', items: [{ sku: 'S', quantity: 1 }], failure }, sagaId));

    expect(result).toEqual({ orderId, outcome: 'cancelled', status: 'CANCELLED' });
    expect(await getOrder(orderId, orders)).toMatchObject({ sagaId, status: 'CANCELLED', failure });
  });
});

describe('handler configuration', () => {
  it('fails with ConfigurationError when TABLE_NAME is missing', async () => {
    delete process.env.TABLE_NAME;
    const load = jest.isolateModulesAsync(async () => {
      await import('../../../lambdas/cancel-order');
    });

    await expect(load).rejects.toMatchObject({ name: ErrorName.ConfigurationError, message: 'environment variable TABLE_NAME is not set' });
  });
});
