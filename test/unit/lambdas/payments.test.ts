import { chargePayment, getAccount, getCharge, refundPayment } from '../../../lambdas/domain/payments';
import { seedCustomers } from '../../../lambdas/domain/seed';
import { ErrorName } from '../../../lambdas/errors';
import { testStore, uniqueId } from '../../helpers/tables';

const payments = testStore('payments');

async function customerWith(credit: number): Promise<string> {
  const customerId = uniqueId('cus');
  await seedCustomers([{ customerId, credit }], payments);
  return customerId;
}

const creditOf = async (customerId: string) => (await getAccount(customerId, payments))?.credit;

describe('ChargePayment', () => {
  it('takes the total from the customer credit and records the charge', async () => {
    const customerId = await customerWith(10_000);
    const orderId = uniqueId('ord');

    const result = await chargePayment({ orderId, customerId, amount: 2_500 }, payments);

    expect(result).toEqual({ chargeId: `chg-${orderId}`, amount: 2_500 });
    expect(await creditOf(customerId)).toBe(7_500);
    expect((await getCharge(orderId, payments))?.status).toBe('CHARGED');
  });

  it('declines a total above the available credit and writes nothing', async () => {
    const customerId = await customerWith(1_000);
    const orderId = uniqueId('ord');

    const attempt = chargePayment({ orderId, customerId, amount: 1_001 }, payments);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.PaymentDeclined, amount: 1_001, available: 1_000 });
    expect(await creditOf(customerId)).toBe(1_000);
    expect(await getCharge(orderId, payments)).toBeUndefined();
  });

  it('accepts a total equal to the available credit', async () => {
    const customerId = await customerWith(1_000);

    await chargePayment({ orderId: uniqueId('ord'), customerId, amount: 1_000 }, payments);

    expect(await creditOf(customerId)).toBe(0);
  });

  it('rejects an unknown customer by name', async () => {
    const customerId = uniqueId('cus-nobody');
    const orderId = uniqueId('ord');

    await expect(chargePayment({ orderId, customerId, amount: 1 }, payments)).rejects.toMatchObject({
      name: ErrorName.UnknownCustomer,
      message: `unknown customer: ${customerId}`,
    });
    expect(await getCharge(orderId, payments)).toBeUndefined();
  });

  it('is idempotent: a second call returns the same charge and takes no more credit', async () => {
    const customerId = await customerWith(10_000);
    const request = { orderId: uniqueId('ord'), customerId, amount: 3_000 };

    const first = await chargePayment(request, payments);
    const second = await chargePayment(request, payments);

    expect(second).toEqual(first);
    expect(await creditOf(customerId)).toBe(7_000);
  });

  it('lets exactly one of two concurrent orders spend the last credit', async () => {
    const customerId = await customerWith(1_000);

    const results = await Promise.allSettled([
      chargePayment({ orderId: uniqueId('ord'), customerId, amount: 800 }, payments),
      chargePayment({ orderId: uniqueId('ord'), customerId, amount: 800 }, payments),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name)).toEqual([ErrorName.PaymentDeclined]);
    expect(await creditOf(customerId)).toBe(200);
  });
});

describe('RefundPayment', () => {
  it('gives the credit back once, however often it is called', async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');
    await chargePayment({ orderId, customerId, amount: 2_000 }, payments);

    const first = await refundPayment(orderId, customerId, payments);
    const second = await refundPayment(orderId, customerId, payments);

    expect(second).toEqual(first);
    expect(first).toEqual({ chargeId: `chg-${orderId}`, status: 'REFUNDED' });
    expect(await creditOf(customerId)).toBe(5_000);
  });

  it('refunds exactly once when deliveries race', async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');
    await chargePayment({ orderId, customerId, amount: 2_000 }, payments);

    await Promise.all(Array.from({ length: 4 }, () => refundPayment(orderId, customerId, payments)));

    expect(await creditOf(customerId)).toBe(5_000);
  });

  it('is a no-op for an order never charged, and blocks a late charge of it', async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');

    await refundPayment(orderId, customerId, payments);
    const late = chargePayment({ orderId, customerId, amount: 100 }, payments);

    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed });
    expect(await creditOf(customerId)).toBe(5_000);
  });
});

describe('ChargePayment under duplicate delivery', () => {
  it('does not decline an order because of its own charge, made by another delivery in between', async () => {
    const customerId = await customerWith(1_000);
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    let twinDone = false;
    const racing = {
      ...payments,
      doc: {
        send: async (command: { constructor: { name: string }; input: { Key?: { pk?: string } } }) => {
          if (!twinDone && command.constructor.name === 'GetCommand' && command.input.Key?.pk?.startsWith('CUSTOMER#')) {
            twinDone = true;
            await chargePayment(request, payments);
          }
          return payments.doc.send(command as never);
        },
      } as unknown as typeof payments.doc,
    };

    const result = await chargePayment(request, racing);

    expect(twinDone).toBe(true);
    expect(result).toEqual({ chargeId: `chg-${request.orderId}`, amount: 800 });
    expect(await creditOf(customerId)).toBe(200);
  });
});
