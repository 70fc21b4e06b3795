import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getCatalogue, getReservation, releaseInventory, reserveInventory } from '../../../lambdas/domain/inventory';
import { seedCatalogue } from '../../../lambdas/domain/seed';
import { ErrorName } from '../../../lambdas/errors';
import type { PlaceOrder } from '../../../lambdas/schemas';
import { testStore, uniqueId } from '../../helpers/tables';

const inventory = testStore('inventory');

async function arrange(stock: Record<string, { price: number; stock: number }>) {
  const skus = Object.fromEntries(Object.keys(stock).map((name) => [name, uniqueId(`SKU-${name}`)]));
  await seedCatalogue(
    Object.entries(stock).map(([name, s]) => ({ sku: skus[name], ...s })),
    inventory,
  );
  const order = (lines: Record<string, number>, orderId = uniqueId('ord')): PlaceOrder => ({
    orderId,
    customerId: 'cus-test',
    items: Object.entries(lines).map(([name, quantity]) => ({ sku: skus[name], quantity })),
  });
  const stockOf = async () => {
    const now = await getCatalogue(Object.values(skus), inventory);
    return Object.fromEntries(Object.entries(skus).map(([name, sku]) => [name, now.get(sku)?.stock]));
  };
  return { skus, order, stockOf };
}

async function countItems(prefix: string): Promise<number> {
  const out = await inventory.doc.send(
    new ScanCommand({ TableName: inventory.tableName, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': prefix } }),
  );
  return out.Count ?? 0;
}

describe('ReserveInventory', () => {
  it('decrements stock of every line and prices the order from the catalogue', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 4_999, stock: 5 }, mouse: { price: 1_999, stock: 3 } });
    const placed = order({ kb: 2, mouse: 1 });

    const result = await reserveInventory(placed, inventory);

    expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 2 * 4_999 + 1_999 });
    expect(await stockOf()).toEqual({ kb: 3, mouse: 2 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('RESERVED');
  });

  it('rejects the whole order when one line is short of stock, and reserves nothing', async () => {
    const { order, stockOf, skus } = await arrange({ kb: { price: 100, stock: 5 }, mouse: { price: 100, stock: 1 } });
    const placed = order({ kb: 2, mouse: 2 });

    const attempt = reserveInventory(placed, inventory);

    await expect(attempt).rejects.toMatchObject({
      name: ErrorName.InsufficientStock,
      shortfalls: [{ sku: skus.mouse, requested: 2, available: 1 }],
    });
    expect(await stockOf()).toEqual({ kb: 5, mouse: 1 });
    expect(await getReservation(placed.orderId, inventory)).toBeUndefined();
  });

  it('rejects an unknown SKU by name and writes nothing', async () => {
    const { stockOf, skus } = await arrange({ kb: { price: 100, stock: 5 } });
    const orderId = uniqueId('ord');
    const missing = uniqueId('SKU-NOPE');

    const attempt = reserveInventory(
      { orderId, customerId: 'c', items: [{ sku: skus.kb, quantity: 1 }, { sku: missing, quantity: 1 }] },
      inventory,
    );

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.UnknownSku, message: `unknown SKU: ${missing}` });
    expect(await stockOf()).toEqual({ kb: 5 });
    expect(await getReservation(orderId, inventory)).toBeUndefined();
  });

  it('is idempotent: a second call returns the same reservation and takes no more stock', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 250, stock: 5 } });
    const placed = order({ kb: 2 });

    const first = await reserveInventory(placed, inventory);
    const second = await reserveInventory(placed, inventory);

    expect(second).toEqual(first);
    expect(await stockOf()).toEqual({ kb: 3 });
  });

  it('lets exactly one of two concurrent orders take the last unit', async () => {
    const { order, stockOf } = await arrange({ webcam: { price: 5_999, stock: 1 } });

    const results = await Promise.allSettled([reserveInventory(order({ webcam: 1 }), inventory), reserveInventory(order({ webcam: 1 }), inventory)]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name)).toEqual([ErrorName.InsufficientStock]);
    expect(await stockOf()).toEqual({ webcam: 0 });
  });

  it('lets exactly one of many concurrent deliveries of the same order commit', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 10 } });
    const placed = order({ kb: 3 });

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => reserveInventory(placed, inventory)));

    // A delivery may lose a transaction conflict and ask to be retried; none may reserve twice or differ.
    const succeeded = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const result of succeeded) expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 300 });
    expect(failed.every((name) => name === ErrorName.TransientError)).toBe(true);
    expect(await stockOf()).toEqual({ kb: 7 });
  });
});

describe('ReleaseInventory', () => {
  it('restores the stock of the reservation once, however often it is called', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 }, mouse: { price: 100, stock: 5 } });
    const placed = order({ kb: 2, mouse: 3 });
    await reserveInventory(placed, inventory);

    const first = await releaseInventory(placed.orderId, inventory);
    const second = await releaseInventory(placed.orderId, inventory);

    expect(second).toEqual(first);
    expect(first).toEqual({ reservationId: `res-${placed.orderId}`, status: 'RELEASED' });
    expect(await stockOf()).toEqual({ kb: 5, mouse: 5 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('RELEASED');
  });

  it('restores stock exactly once when deliveries race', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 } });
    const placed = order({ kb: 4 });
    await reserveInventory(placed, inventory);

    await Promise.all(Array.from({ length: 4 }, () => releaseInventory(placed.orderId, inventory)));

    expect(await stockOf()).toEqual({ kb: 5 });
  });

  it('is a no-op for an order that reserved nothing, and blocks a late reservation of it', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 } });
    const placed = order({ kb: 1 });

    const released = await releaseInventory(placed.orderId, inventory);
    const late = reserveInventory(placed, inventory);

    expect(released.status).toBe('RELEASED');
    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed });
    expect(await stockOf()).toEqual({ kb: 5 });
    expect(await countItems(`RESERVATION#${placed.orderId}`)).toBe(1);
  });
});

describe('ReserveInventory under duplicate delivery', () => {
  it('does not reject an order because of its own reservation, made by another delivery in between', async () => {
    const { order, stockOf } = await arrange({ webcam: { price: 100, stock: 1 } });
    const placed = order({ webcam: 1 });
    // The twin delivery commits after this one found no reservation, just before it reads the catalogue.
    let twinDone = false;
    const racing = {
      ...inventory,
      doc: {
        send: async (command: { constructor: { name: string } }) => {
          if (!twinDone && command.constructor.name === 'BatchGetCommand') {
            twinDone = true;
            await reserveInventory(placed, inventory);
          }
          return inventory.doc.send(command as never);
        },
      } as unknown as typeof inventory.doc,
    };

    const result = await reserveInventory(placed, racing);

    expect(twinDone).toBe(true);
    expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 100 });
    expect(await stockOf()).toEqual({ webcam: 0 });
  });
});
