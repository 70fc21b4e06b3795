import { cancelOrder, confirmOrder, getOrder } from '../../../lambdas/domain/orders';
import { ErrorName } from '../../../lambdas/errors';
import { testStore, uniqueId } from '../../helpers/tables';

const orders = testStore('orders');
const items = [{ sku: 'SKU-KEYBOARD', quantity: 2 }];
const failure = { step: 'ChargePayment', error: 'PaymentDeclined', cause: 'declined' };

function confirmRequest(orderId: string) {
  return { orderId, customerId: 'cus-ada', items, total: 9_998, reservationId: `res-${orderId}`, chargeId: `chg-${orderId}` };
}

describe('ConfirmOrder', () => {
  it('writes the order CONFIRMED with items, total, reservation and charge ids', async () => {
    const orderId = uniqueId('ord');

    const result = await confirmOrder(confirmRequest(orderId), orders);

    expect(result).toEqual({ ...confirmRequest(orderId), status: 'CONFIRMED' });
    expect(await getOrder(orderId, orders)).toEqual(result);
  });

  it('is idempotent: a second call returns the same order', async () => {
    const orderId = uniqueId('ord');

    const first = await confirmOrder(confirmRequest(orderId), orders);
    const second = await confirmOrder(confirmRequest(orderId), orders);

    expect(second).toEqual(first);
  });

  it('refuses to confirm an order that was already cancelled', async () => {
    const orderId = uniqueId('ord');
    await cancelOrder({ orderId, customerId: 'cus-ada', items, failure }, orders);

    await expect(confirmOrder(confirmRequest(orderId), orders)).rejects.toMatchObject({ name: ErrorName.OrderClosed });
    expect((await getOrder(orderId, orders))?.status).toBe('CANCELLED');
  });
});

describe('CancelOrder', () => {
  it('writes the order CANCELLED with the failure that ended the saga', async () => {
    const orderId = uniqueId('ord');

    const result = await cancelOrder({ orderId, customerId: 'cus-ada', items, failure }, orders);

    expect(result).toEqual({ orderId, customerId: 'cus-ada', items, status: 'CANCELLED', failure });
    expect(await getOrder(orderId, orders)).toEqual(result);
  });

  it('is idempotent and keeps the first failure', async () => {
    const orderId = uniqueId('ord');

    const first = await cancelOrder({ orderId, customerId: 'cus-ada', items, failure }, orders);
    const second = await cancelOrder({ orderId, customerId: 'cus-ada', items, failure: { step: 'X', error: 'Y' } }, orders);

    expect(second).toEqual(first);
  });

  it('cancels an order that was confirmed before a later failure un-did it', async () => {
    const orderId = uniqueId('ord');
    await confirmOrder(confirmRequest(orderId), orders);

    const result = await cancelOrder({ orderId, customerId: 'cus-ada', items, failure }, orders);

    expect(result).toMatchObject({ status: 'CANCELLED', failure, total: 9_998 });
    expect((await getOrder(orderId, orders))?.status).toBe('CANCELLED');
  });
});
