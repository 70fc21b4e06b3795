import { seedCatalogue, seedCustomers } from '../../../lambdas/domain/seed';
import { getCatalogue, getReservation } from '../../../lambdas/domain/inventory';
import { ErrorName } from '../../../lambdas/errors';
import { TestTables, testStore, uniqueId } from '../../helpers/tables';

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

describe('ReserveInventory handler', () => {
  let reserve: Handler;
  let reserveWithoutFaults: Handler;
  beforeAll(async () => {
    reserve = await loadHandler('reserve-inventory', 'inventory', true);
    reserveWithoutFaults = await loadHandler('reserve-inventory', 'inventory', false);
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
  ])('rejects %s with InvalidOrder naming the problem', async (_what, input, message) => {
    await expect(reserve(input)).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: expect.stringContaining(message) });
  });

  it('writes nothing for an invalid order', async () => {
    const sku = uniqueId('SKU');
    const orderId = uniqueId('ord');
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);

    await expect(reserve({ orderId, customerId: 'c', items: [{ sku, quantity: 1 }, { sku, quantity: 1 }] })).rejects.toThrow();

    expect((await getCatalogue([sku], inventory)).get(sku)?.stock).toBe(5);
    expect(await getReservation(orderId, inventory)).toBeUndefined();
  });

  it('raises an injected business rejection before writing anything', async () => {
    const sku = uniqueId('SKU');
    const orderId = uniqueId('ord');
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);

    const attempt = reserve({ orderId, customerId: 'c', items: [{ sku, quantity: 1 }], faults: { ReserveInventory: 'InsufficientStock' } });

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.InsufficientStock });
    expect(await getReservation(orderId, inventory)).toBeUndefined();
  });

  it('raises an injected transient error only on the first attempts asked for', async () => {
    const sku = uniqueId('SKU');
    const order = {
      orderId: uniqueId('ord'),
      customerId: 'c',
      items: [{ sku, quantity: 1 }],
      faults: { ReserveInventory: { error: 'TransientError', times: 2 } },
    };
    await seedCatalogue([{ sku, price: 100, stock: 5 }], inventory);

    const outcomes = [];
    for (let attempt = 0; attempt < 3; attempt++) outcomes.push(await reserve(order).then(() => 'ok', (e: Error) => e.name));

    expect(outcomes).toEqual([ErrorName.TransientError, ErrorName.TransientError, 'ok']);
  });

  it('outlives the function timeout for an injected Timeout', async () => {
    const order = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ReserveInventory: 'Timeout' } };
    const started = Date.now();

    await expect(reserve(order, { getRemainingTimeInMillis: () => 50 })).rejects.toThrow(/still running after the function timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('refuses faults when fault injection is disabled, and ignores no field silently', async () => {
    const order = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ChargePayment: 'PaymentDeclined' } };

    await expect(reserveWithoutFaults(order)).rejects.toMatchObject({
      name: ErrorName.InvalidOrder,
      message: 'faults: fault injection is disabled in this deployment',
    });
  });

  it('rejects a fault at a step that does not exist, instead of ignoring it', async () => {
    const order = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ChargePaymnet: 'Error' } };

    await expect(reserve(order)).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: 'faults: unknown key "ChargePaymnet"' });
  });

  it('rejects a fault that names no known error', async () => {
    const order = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }], faults: { ReserveInventory: 'Explode' } };

    await expect(reserve(order)).rejects.toMatchObject({ name: ErrorName.InvalidOrder, message: expect.stringContaining('faults.ReserveInventory') });
  });
});

describe('ChargePayment handler', () => {
  it('charges the total that ReserveInventory computed', async () => {
    const charge = await loadHandler('charge-payment', 'payments', false);
    const customerId = uniqueId('cus');
    await seedCustomers([{ customerId, credit: 10_000 }], payments);
    const orderId = uniqueId('ord');

    const result = await charge({
      orderId,
      customerId,
      items: [{ sku: 'S', quantity: 1 }],
      results: { ReserveInventory: { Payload: { reservationId: `res-${orderId}`, total: 4_321 } } },
    });

    expect(result).toEqual({ chargeId: `chg-${orderId}`, amount: 4_321 });
  });

  it('names a missing reservation result instead of charging nothing', async () => {
    const charge = await loadHandler('charge-payment', 'payments', false);

    await expect(charge({ orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: 'S', quantity: 1 }] })).rejects.toMatchObject({
      name: ErrorName.InvalidOrder,
      message: expect.stringContaining('results'),
    });
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
