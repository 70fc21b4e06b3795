import { cancelShipment, getShipment, scheduleShipment } from '../../../lambdas/domain/shipping';
import { Keys } from '../../../lambdas/domain/store';
import { ErrorName } from '../../../lambdas/errors';
import type { OrderLine, ShippingAddress } from '../../../lambdas/schemas';
import { testStore, uniqueId } from '../../helpers/tables';
import { newSagaId, rawItem } from './fixtures';

const shipping = testStore('shipping');

const items: OrderLine[] = [{ sku: 'SKU-KEYBOARD', quantity: 1 }];
const london: ShippingAddress = { line1: '1 Long Acre', city: 'London', postcode: 'WC2E 9LH', country: 'GB' };
const antarctica: ShippingAddress = { line1: 'McMurdo Station', city: 'Ross Island', postcode: '0', country: 'AQ' };

describe('ScheduleShipment', () => {
  it('books a delivery to the address, owned by the saga', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const result = await scheduleShipment({ orderId, items, shipTo: london }, sagaId, shipping);

    expect(result).toEqual({ shipmentId: `shp-${orderId}`, method: 'delivery' });
    expect(await getShipment(orderId, shipping)).toMatchObject({ status: 'SCHEDULED', sagaId, method: 'delivery', shipTo: london, items });
  });

  it('books a collection at the store when the order has no address', async () => {
    const orderId = uniqueId('ord');

    const result = await scheduleShipment({ orderId, items }, newSagaId(), shipping);

    expect(result).toEqual({ shipmentId: `shp-${orderId}`, method: 'collection' });
  });

  it.each<[string, ShippingAddress, string]>([
    ['a country the carrier does not serve', antarctica, 'cannot deliver to AQ: the carrier does not deliver to this country'],
    ['a PO box', { ...london, line1: 'PO Box 12' }, 'cannot deliver to GB: the carrier does not deliver to PO boxes'],
  ])('rejects %s by name and records the rejection', async (_what, shipTo, message) => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const attempt = scheduleShipment({ orderId, items, shipTo }, sagaId, shipping);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.UndeliverableAddress, message });
    expect(await getShipment(orderId, shipping)).toMatchObject({ status: 'REJECTED', sagaId, rejection: { error: ErrorName.UndeliverableAddress, message } });
  });

  it('gives a replay by the same saga the first result and writes nothing', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    const first = await scheduleShipment({ orderId, items, shipTo: london }, sagaId, shipping);
    const before = await rawItem(shipping, Keys.shipment(orderId));

    const second = await scheduleShipment({ orderId, items, shipTo: london }, sagaId, shipping);

    expect(second).toEqual(first);
    expect(await rawItem(shipping, Keys.shipment(orderId))).toEqual(before);
  });

  it('replays a rejection to a late delivery of the step instead of booking', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await expect(scheduleShipment({ orderId, items, shipTo: antarctica }, sagaId, shipping)).rejects.toMatchObject({ name: ErrorName.UndeliverableAddress });

    const late = scheduleShipment({ orderId, items, shipTo: antarctica }, sagaId, shipping);

    await expect(late).rejects.toMatchObject({ name: ErrorName.UndeliverableAddress });
    expect((await getShipment(orderId, shipping))?.status).toBe('REJECTED');
  });

  it("refuses another saga's shipment with DuplicateOrder and leaves it alone", async () => {
    const orderId = uniqueId('ord');
    const owner = newSagaId();
    await scheduleShipment({ orderId, items, shipTo: london }, owner, shipping);
    const before = await rawItem(shipping, Keys.shipment(orderId));

    const attempt = scheduleShipment({ orderId, items }, newSagaId(), shipping);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, owner });
    expect(await rawItem(shipping, Keys.shipment(orderId))).toEqual(before);
  });

  it('books exactly once when two deliveries of the step race', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const results = await Promise.all([1, 2, 3].map(() => scheduleShipment({ orderId, items, shipTo: london }, sagaId, shipping)));

    expect(new Set(results.map((r) => r.shipmentId)).size).toBe(1);
    expect((await getShipment(orderId, shipping))?.status).toBe('SCHEDULED');
  });
});

describe('CancelShipment', () => {
  it("cancels the saga's shipment once", async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await scheduleShipment({ orderId, items, shipTo: london }, sagaId, shipping);

    const first = await cancelShipment(orderId, items, sagaId, shipping);
    const second = await cancelShipment(orderId, items, sagaId, shipping);

    expect(first).toEqual({ shipmentId: `shp-${orderId}`, cancellation: { outcome: 'undone' } });
    expect(second.cancellation).toEqual({ outcome: 'already-undone' });
    expect(await getShipment(orderId, shipping)).toMatchObject({ status: 'CANCELLED', sagaId });
  });

  it('leaves a marker when there is nothing to cancel, so a late ScheduleShipment cannot book', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const result = await cancelShipment(orderId, items, sagaId, shipping);
    const late = scheduleShipment({ orderId, items, shipTo: london }, sagaId, shipping);

    expect(result.cancellation).toEqual({ outcome: 'nothing-to-undo' });
    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed });
    expect(await getShipment(orderId, shipping)).toMatchObject({ status: 'CANCELLED', sagaId });
  });

  it('finds nothing to undo after a rejection', async () => {
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await expect(scheduleShipment({ orderId, items, shipTo: antarctica }, sagaId, shipping)).rejects.toThrow();

    const result = await cancelShipment(orderId, items, sagaId, shipping);

    expect(result.cancellation).toEqual({ outcome: 'already-undone' });
    expect((await getShipment(orderId, shipping))?.status).toBe('REJECTED');
  });

  it("answers not-owned for another saga's shipment and leaves it alone", async () => {
    const orderId = uniqueId('ord');
    const owner = newSagaId();
    await scheduleShipment({ orderId, items, shipTo: london }, owner, shipping);
    const before = await rawItem(shipping, Keys.shipment(orderId));

    const result = await cancelShipment(orderId, items, newSagaId(), shipping);

    expect(result.cancellation).toEqual({ outcome: 'not-owned', owner });
    expect(await rawItem(shipping, Keys.shipment(orderId))).toEqual(before);
  });
});
