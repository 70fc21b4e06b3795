import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getCatalogue, getReservation, releaseInventory, reserveInventory } from '../../../lambdas/domain/inventory';
import { seedCatalogue } from '../../../lambdas/domain/seed';
import { Keys } from '../../../lambdas/domain/store';
import { ErrorName } from '../../../lambdas/errors';
import type { PlaceOrder } from '../../../lambdas/schemas';
import { testStore, uniqueId } from '../../helpers/tables';
import { newSagaId, rawItem } from './fixtures';

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
  const restock = async (name: string, units: number, price = 100) => seedCatalogue([{ sku: skus[name], price, stock: units }], inventory);
  return { skus, order, stockOf, restock };
}

async function countItems(prefix: string): Promise<number> {
  const out = await inventory.doc.send(
    new ScanCommand({ TableName: inventory.tableName, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': prefix } }),
  );
  return out.Count ?? 0;
}

/** A store whose client runs `before` once, just before the first command that `when` picks is sent. */
function interceptOnce(when: (command: { constructor: { name: string } }) => boolean, before: () => Promise<unknown>) {
  const state = { fired: false };
  const store = {
    ...inventory,
    doc: {
      send: async (command: { constructor: { name: string } }) => {
        if (!state.fired && when(command)) {
          state.fired = true;
          await before();
        }
        return inventory.doc.send(command as never);
      },
    } as unknown as typeof inventory.doc,
  };
  return { store, state };
}

describe('ReserveInventory', () => {
  it('decrements stock of every line, prices the order from the catalogue and records the saga as owner', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 4_999, stock: 5 }, mouse: { price: 1_999, stock: 3 } });
    const placed = order({ kb: 2, mouse: 1 });
    const sagaId = newSagaId();

    const result = await reserveInventory(placed, sagaId, inventory);

    expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 2 * 4_999 + 1_999 });
    expect(await stockOf()).toEqual({ kb: 3, mouse: 2 });
    expect(await getReservation(placed.orderId, inventory)).toMatchObject({ status: 'RESERVED', sagaId, items: placed.items });
  });

  it('rejects the whole order when one line is short of stock, reserves nothing and records the rejection', async () => {
    const { order, stockOf, skus } = await arrange({ kb: { price: 100, stock: 5 }, mouse: { price: 100, stock: 1 } });
    const placed = order({ kb: 2, mouse: 2 });
    const sagaId = newSagaId();

    const attempt = reserveInventory(placed, sagaId, inventory);

    await expect(attempt).rejects.toMatchObject({
      name: ErrorName.InsufficientStock,
      shortfalls: [{ sku: skus.mouse, requested: 2, available: 1 }],
    });
    expect(await stockOf()).toEqual({ kb: 5, mouse: 1 });
    expect(await getReservation(placed.orderId, inventory)).toMatchObject({
      status: 'REJECTED',
      sagaId,
      items: [],
      rejection: { error: ErrorName.InsufficientStock, message: `insufficient stock: ${skus.mouse} (requested 2, available 1)` },
    });
  });

  it('rejects an unknown SKU by name, takes no stock and records the rejection', async () => {
    const { stockOf, skus } = await arrange({ kb: { price: 100, stock: 5 } });
    const orderId = uniqueId('ord');
    const missing = uniqueId('SKU-NOPE');
    const sagaId = newSagaId();

    const attempt = reserveInventory(
      { orderId, customerId: 'c', items: [{ sku: skus.kb, quantity: 1 }, { sku: missing, quantity: 1 }] },
      sagaId,
      inventory,
    );

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.UnknownSku, message: `unknown SKU: ${missing}` });
    expect(await stockOf()).toEqual({ kb: 5 });
    expect(await getReservation(orderId, inventory)).toMatchObject({
      status: 'REJECTED',
      sagaId,
      rejection: { error: ErrorName.UnknownSku, message: `unknown SKU: ${missing}` },
    });
  });

  it('replays the first reservation to the same saga and takes no more stock', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 250, stock: 5 } });
    const placed = order({ kb: 2 });
    const sagaId = newSagaId();
    const first = await reserveInventory(placed, sagaId, inventory);
    const recorded = await rawItem(inventory, Keys.reservation(placed.orderId));

    const second = await reserveInventory(placed, sagaId, inventory);

    expect(second).toEqual(first);
    expect(await stockOf()).toEqual({ kb: 3 });
    expect(await rawItem(inventory, Keys.reservation(placed.orderId))).toEqual(recorded);
  });

  it('refuses another saga for the same order with DuplicateOrder, and changes neither the reservation nor the stock', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 250, stock: 5 } });
    const placed = order({ kb: 2 });
    const owner = newSagaId();
    await reserveInventory(placed, owner, inventory);
    const recorded = await rawItem(inventory, Keys.reservation(placed.orderId));

    const attempt = reserveInventory(placed, newSagaId(), inventory);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, orderId: placed.orderId, owner });
    expect(await stockOf()).toEqual({ kb: 3 });
    expect(await rawItem(inventory, Keys.reservation(placed.orderId))).toEqual(recorded);
  });

  it('refuses another saga with DuplicateOrder even when the first saga was rejected, instead of replaying its rejection', async () => {
    const { order, stockOf, restock } = await arrange({ kb: { price: 100, stock: 1 } });
    const placed = order({ kb: 2 });
    const owner = newSagaId();
    await expect(reserveInventory(placed, owner, inventory)).rejects.toMatchObject({ name: ErrorName.InsufficientStock });
    await restock('kb', 10);

    const attempt = reserveInventory(placed, newSagaId(), inventory);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, owner });
    expect(await stockOf()).toEqual({ kb: 10 });
  });

  it('lets exactly one of two concurrent orders take the last unit', async () => {
    const { order, stockOf } = await arrange({ webcam: { price: 5_999, stock: 1 } });

    const results = await Promise.allSettled([
      reserveInventory(order({ webcam: 1 }), newSagaId(), inventory),
      reserveInventory(order({ webcam: 1 }), newSagaId(), inventory),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name)).toEqual([ErrorName.InsufficientStock]);
    expect(await stockOf()).toEqual({ webcam: 0 });
  });

  it('lets exactly one of many concurrent deliveries of the same saga commit', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 10 } });
    const placed = order({ kb: 3 });
    const sagaId = newSagaId();

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => reserveInventory(placed, sagaId, inventory)));

    // A delivery may lose a transaction conflict and ask to be retried; none may reserve twice or differ.
    const succeeded = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const result of succeeded) expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 300 });
    expect(failed.every((name) => name === ErrorName.TransientError)).toBe(true);
    expect(await stockOf()).toEqual({ kb: 7 });
  });
});

describe('ReserveInventory after a rejection', () => {
  it('raises the recorded InsufficientStock again after a restock, and takes no stock', async () => {
    const { order, stockOf, restock, skus } = await arrange({ kb: { price: 100, stock: 1 } });
    const placed = order({ kb: 3 });
    const sagaId = newSagaId();
    await expect(reserveInventory(placed, sagaId, inventory)).rejects.toMatchObject({ name: ErrorName.InsufficientStock });
    await restock('kb', 10);

    const late = reserveInventory(placed, sagaId, inventory);

    await expect(late).rejects.toMatchObject({
      name: ErrorName.InsufficientStock,
      message: `insufficient stock: ${skus.kb} (requested 3, available 1)`,
    });
    expect(await stockOf()).toEqual({ kb: 10 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('REJECTED');
  });

  it('raises the recorded UnknownSku again once the SKU exists, and takes no stock', async () => {
    const { stockOf, skus } = await arrange({ kb: { price: 100, stock: 5 } });
    const missing = uniqueId('SKU-LATE');
    const placed: PlaceOrder = { orderId: uniqueId('ord'), customerId: 'c', items: [{ sku: skus.kb, quantity: 1 }, { sku: missing, quantity: 1 }] };
    const sagaId = newSagaId();
    await expect(reserveInventory(placed, sagaId, inventory)).rejects.toMatchObject({ name: ErrorName.UnknownSku });
    await seedCatalogue([{ sku: missing, price: 100, stock: 5 }], inventory);

    const late = reserveInventory(placed, sagaId, inventory);

    await expect(late).rejects.toMatchObject({ name: ErrorName.UnknownSku, message: `unknown SKU: ${missing}` });
    expect(await stockOf()).toEqual({ kb: 5 });
    expect((await getCatalogue([missing], inventory)).get(missing)?.stock).toBe(5);
  });

  it('gives the same outcome to two concurrent deliveries of the same saga when stock covers one order', async () => {
    const { order, stockOf } = await arrange({ webcam: { price: 100, stock: 1 } });
    const placed = order({ webcam: 1 });
    const sagaId = newSagaId();

    const results = await Promise.allSettled([reserveInventory(placed, sagaId, inventory), reserveInventory(placed, sagaId, inventory)]);

    // Losing a transaction conflict (TransientError) is a retry, not an outcome; every outcome must be the reservation.
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).name)).filter((o) => o !== ErrorName.TransientError);
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) expect(outcome).toEqual({ reservationId: `res-${placed.orderId}`, total: 100 });
    expect(await stockOf()).toEqual({ webcam: 0 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('RESERVED');
  });

  it('gives a delivery that saw enough stock the rejection that its twin recorded first', async () => {
    const { order, stockOf, skus } = await arrange({ webcam: { price: 100, stock: 1 } });
    const placed = order({ webcam: 1 });
    const sagaId = newSagaId();
    // This delivery read stock 1; before it writes, another order takes the unit and the twin delivery records the rejection.
    const { store, state } = interceptOnce(
      (command) => command.constructor.name === 'TransactWriteCommand',
      async () => {
        await reserveInventory(order({ webcam: 1 }), newSagaId(), inventory);
        await reserveInventory(placed, sagaId, inventory).catch(() => undefined);
      },
    );

    const attempt = reserveInventory(placed, sagaId, store);

    await expect(attempt).rejects.toMatchObject({
      name: ErrorName.InsufficientStock,
      message: `insufficient stock: ${skus.webcam} (requested 1, available 0)`,
    });
    expect(state.fired).toBe(true);
    expect(await stockOf()).toEqual({ webcam: 0 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('REJECTED');
  });

  it('gives a delivery that saw too little stock the reservation that its twin committed first', async () => {
    const { order, stockOf, restock } = await arrange({ webcam: { price: 100, stock: 0 } });
    const placed = order({ webcam: 1 });
    const sagaId = newSagaId();
    // This delivery read stock 0; before it records the rejection, a restock lets the twin delivery commit.
    const { store, state } = interceptOnce(
      (command) => command.constructor.name === 'PutCommand',
      async () => {
        await restock('webcam', 1);
        await reserveInventory(placed, sagaId, inventory);
      },
    );

    const result = await reserveInventory(placed, sagaId, store);

    expect(state.fired).toBe(true);
    expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 100 });
    expect(await stockOf()).toEqual({ webcam: 0 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('RESERVED');
  });
});

describe('ReleaseInventory', () => {
  it('restores the stock of the reservation once, however often it is called', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 }, mouse: { price: 100, stock: 5 } });
    const placed = order({ kb: 2, mouse: 3 });
    const sagaId = newSagaId();
    await reserveInventory(placed, sagaId, inventory);

    const first = await releaseInventory(placed.orderId, sagaId, inventory);
    const second = await releaseInventory(placed.orderId, sagaId, inventory);

    expect(first).toEqual({ reservationId: `res-${placed.orderId}`, release: { outcome: 'undone' } });
    expect(second).toEqual({ reservationId: `res-${placed.orderId}`, release: { outcome: 'already-undone' } });
    expect(await stockOf()).toEqual({ kb: 5, mouse: 5 });
    expect((await getReservation(placed.orderId, inventory))?.status).toBe('RELEASED');
  });

  it('restores stock exactly once when deliveries race', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 } });
    const placed = order({ kb: 4 });
    const sagaId = newSagaId();
    await reserveInventory(placed, sagaId, inventory);

    const results = await Promise.allSettled(Array.from({ length: 4 }, () => releaseInventory(placed.orderId, sagaId, inventory)));

    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.release.outcome : (r.reason as Error).name));
    expect(outcomes.filter((o) => o === 'undone')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'undone' || o === 'already-undone' || o === ErrorName.TransientError)).toBe(true);
    expect(await stockOf()).toEqual({ kb: 5 });
  });

  it('writes nothing-to-undo for an order that reserved nothing, and blocks a late reservation of it', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 } });
    const placed = order({ kb: 1 });
    const sagaId = newSagaId();

    const released = await releaseInventory(placed.orderId, sagaId, inventory);
    const late = reserveInventory(placed, sagaId, inventory);

    expect(released).toEqual({ reservationId: `res-${placed.orderId}`, release: { outcome: 'nothing-to-undo' } });
    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed, orderId: placed.orderId });
    expect(await stockOf()).toEqual({ kb: 5 });
    expect(await countItems(`RESERVATION#${placed.orderId}`)).toBe(1);
    expect(await getReservation(placed.orderId, inventory)).toMatchObject({ status: 'RELEASED', sagaId, items: [] });
  });

  it('reports already-undone for a rejected reservation and gives back no stock', async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 1 } });
    const placed = order({ kb: 2 });
    const sagaId = newSagaId();
    await expect(reserveInventory(placed, sagaId, inventory)).rejects.toMatchObject({ name: ErrorName.InsufficientStock });
    const recorded = await rawItem(inventory, Keys.reservation(placed.orderId));

    const released = await releaseInventory(placed.orderId, sagaId, inventory);

    expect(released.release).toEqual({ outcome: 'already-undone' });
    expect(await stockOf()).toEqual({ kb: 1 });
    expect(await rawItem(inventory, Keys.reservation(placed.orderId))).toEqual(recorded);
  });

  it("leaves another saga's reservation alone and names its owner, then still releases it for the owner", async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 } });
    const placed = order({ kb: 2 });
    const owner = newSagaId();
    await reserveInventory(placed, owner, inventory);
    const recorded = await rawItem(inventory, Keys.reservation(placed.orderId));

    const foreign = await releaseInventory(placed.orderId, newSagaId(), inventory);

    expect(foreign).toEqual({ reservationId: `res-${placed.orderId}`, release: { outcome: 'not-owned', owner } });
    expect(await rawItem(inventory, Keys.reservation(placed.orderId))).toEqual(recorded);
    expect(await stockOf()).toEqual({ kb: 3 });

    const own = await releaseInventory(placed.orderId, owner, inventory);

    expect(own.release).toEqual({ outcome: 'undone' });
    expect(await stockOf()).toEqual({ kb: 5 });
  });

  it("refuses a reservation with DuplicateOrder when another saga's release marker holds the order, and takes no stock", async () => {
    const { order, stockOf } = await arrange({ kb: { price: 100, stock: 5 } });
    const placed = order({ kb: 2 });
    const owner = newSagaId();
    const other = newSagaId();
    await releaseInventory(placed.orderId, other, inventory);

    const late = reserveInventory(placed, owner, inventory);

    // The release marker belongs to the other saga: this saga's reservation is refused as a duplicate, never committed.
    await expect(late).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, owner: other });
    expect(await stockOf()).toEqual({ kb: 5 });
  });
});

describe('ReserveInventory under duplicate delivery', () => {
  it('does not reject an order because of its own reservation, made by another delivery in between', async () => {
    const { order, stockOf } = await arrange({ webcam: { price: 100, stock: 1 } });
    const placed = order({ webcam: 1 });
    const sagaId = newSagaId();
    // The twin delivery commits after this one found no reservation, just before it reads the catalogue.
    const { store, state } = interceptOnce(
      (command) => command.constructor.name === 'BatchGetCommand',
      () => reserveInventory(placed, sagaId, inventory),
    );

    const result = await reserveInventory(placed, sagaId, store);

    expect(state.fired).toBe(true);
    expect(result).toEqual({ reservationId: `res-${placed.orderId}`, total: 100 });
    expect(await stockOf()).toEqual({ webcam: 0 });
  });
});
