import { chargePayment, getAccount, getCharge, refundPayment } from '../../../lambdas/domain/payments';
import { seedCustomers } from '../../../lambdas/domain/seed';
import { Keys } from '../../../lambdas/domain/store';
import { ErrorName } from '../../../lambdas/errors';
import { testStore, uniqueId } from '../../helpers/tables';
import { newSagaId, rawItem } from './fixtures';

const payments = testStore('payments');

async function customerWith(credit: number, customerId = uniqueId('cus')): Promise<string> {
  await seedCustomers([{ customerId, credit }], payments);
  return customerId;
}

const creditOf = async (customerId: string) => (await getAccount(customerId, payments))?.credit;

/** A store whose client runs `before` once, just before the first command that `when` picks is sent. */
function interceptOnce(when: (command: { constructor: { name: string }; input: { Key?: { pk?: string } } }) => boolean, before: () => Promise<unknown>) {
  const state = { fired: false };
  const store = {
    ...payments,
    doc: {
      send: async (command: { constructor: { name: string }; input: { Key?: { pk?: string } } }) => {
        if (!state.fired && when(command)) {
          state.fired = true;
          await before();
        }
        return payments.doc.send(command as never);
      },
    } as unknown as typeof payments.doc,
  };
  return { store, state };
}

describe('ChargePayment', () => {
  it('takes the total from the customer credit and records the charge owned by the saga', async () => {
    const customerId = await customerWith(10_000);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const result = await chargePayment({ orderId, customerId, amount: 2_500 }, sagaId, payments);

    expect(result).toEqual({ chargeId: `chg-${orderId}`, amount: 2_500 });
    expect(await creditOf(customerId)).toBe(7_500);
    expect(await getCharge(orderId, payments)).toMatchObject({ status: 'CHARGED', sagaId, customerId, amount: 2_500 });
  });

  it('declines a total above the available credit, takes nothing and records the decline', async () => {
    const customerId = await customerWith(1_000);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const attempt = chargePayment({ orderId, customerId, amount: 1_001 }, sagaId, payments);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.PaymentDeclined, amount: 1_001, available: 1_000 });
    expect(await creditOf(customerId)).toBe(1_000);
    expect(await getCharge(orderId, payments)).toMatchObject({
      status: 'DECLINED',
      sagaId,
      amount: 0,
      rejection: { error: ErrorName.PaymentDeclined, message: `payment declined for ${customerId}: total 1001 exceeds available credit 1000` },
    });
  });

  it('accepts a total equal to the available credit', async () => {
    const customerId = await customerWith(1_000);

    await chargePayment({ orderId: uniqueId('ord'), customerId, amount: 1_000 }, newSagaId(), payments);

    expect(await creditOf(customerId)).toBe(0);
  });

  it('rejects an unknown customer by name and records the rejection', async () => {
    const customerId = uniqueId('cus-nobody');
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const attempt = chargePayment({ orderId, customerId, amount: 1 }, sagaId, payments);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.UnknownCustomer, message: `unknown customer: ${customerId}` });
    expect(await getCharge(orderId, payments)).toMatchObject({
      status: 'DECLINED',
      sagaId,
      rejection: { error: ErrorName.UnknownCustomer, message: `unknown customer: ${customerId}` },
    });
  });

  it('replays the first charge to the same saga and takes no more credit', async () => {
    const customerId = await customerWith(10_000);
    const request = { orderId: uniqueId('ord'), customerId, amount: 3_000 };
    const sagaId = newSagaId();
    const first = await chargePayment(request, sagaId, payments);
    const recorded = await rawItem(payments, Keys.charge(request.orderId));

    const second = await chargePayment(request, sagaId, payments);

    expect(second).toEqual(first);
    expect(await creditOf(customerId)).toBe(7_000);
    expect(await rawItem(payments, Keys.charge(request.orderId))).toEqual(recorded);
  });

  it('refuses another saga for the same order with DuplicateOrder, and changes neither the charge nor the credit', async () => {
    const customerId = await customerWith(10_000);
    const request = { orderId: uniqueId('ord'), customerId, amount: 3_000 };
    const owner = newSagaId();
    await chargePayment(request, owner, payments);
    const recorded = await rawItem(payments, Keys.charge(request.orderId));

    const attempt = chargePayment(request, newSagaId(), payments);

    await expect(attempt).rejects.toMatchObject({ name: ErrorName.DuplicateOrder, orderId: request.orderId, owner });
    expect(await creditOf(customerId)).toBe(7_000);
    expect(await rawItem(payments, Keys.charge(request.orderId))).toEqual(recorded);
  });

  it('lets exactly one of two concurrent orders spend the last credit', async () => {
    const customerId = await customerWith(1_000);

    const results = await Promise.allSettled([
      chargePayment({ orderId: uniqueId('ord'), customerId, amount: 800 }, newSagaId(), payments),
      chargePayment({ orderId: uniqueId('ord'), customerId, amount: 800 }, newSagaId(), payments),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name)).toEqual([ErrorName.PaymentDeclined]);
    expect(await creditOf(customerId)).toBe(200);
  });
});

describe('ChargePayment after a rejection', () => {
  it('raises the recorded PaymentDeclined again after credit is added, and takes no credit', async () => {
    const customerId = await customerWith(500);
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    const sagaId = newSagaId();
    await expect(chargePayment(request, sagaId, payments)).rejects.toMatchObject({ name: ErrorName.PaymentDeclined });
    await customerWith(10_000, customerId);

    const late = chargePayment(request, sagaId, payments);

    await expect(late).rejects.toMatchObject({
      name: ErrorName.PaymentDeclined,
      message: `payment declined for ${customerId}: total 800 exceeds available credit 500`,
    });
    expect(await creditOf(customerId)).toBe(10_000);
    expect((await getCharge(request.orderId, payments))?.status).toBe('DECLINED');
  });

  it('raises the recorded UnknownCustomer again once the account exists, and takes no credit', async () => {
    const customerId = uniqueId('cus-late');
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    const sagaId = newSagaId();
    await expect(chargePayment(request, sagaId, payments)).rejects.toMatchObject({ name: ErrorName.UnknownCustomer });
    await customerWith(10_000, customerId);

    const late = chargePayment(request, sagaId, payments);

    await expect(late).rejects.toMatchObject({ name: ErrorName.UnknownCustomer, message: `unknown customer: ${customerId}` });
    expect(await creditOf(customerId)).toBe(10_000);
    expect((await getCharge(request.orderId, payments))?.status).toBe('DECLINED');
  });

  it('gives the same outcome to two concurrent deliveries of the same saga when credit covers one charge', async () => {
    const customerId = await customerWith(800);
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    const sagaId = newSagaId();

    const results = await Promise.allSettled([chargePayment(request, sagaId, payments), chargePayment(request, sagaId, payments)]);

    // Losing a transaction conflict (TransientError) is a retry, not an outcome; every outcome must be the charge.
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).name)).filter((o) => o !== ErrorName.TransientError);
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) expect(outcome).toEqual({ chargeId: `chg-${request.orderId}`, amount: 800 });
    expect(await creditOf(customerId)).toBe(0);
    expect((await getCharge(request.orderId, payments))?.status).toBe('CHARGED');
  });

  it('gives a delivery that saw enough credit the decline that its twin recorded first', async () => {
    const customerId = await customerWith(1_000);
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    const sagaId = newSagaId();
    // This delivery read credit 1000; before it writes, another order spends it and the twin delivery records the decline.
    const { store, state } = interceptOnce(
      (command) => command.constructor.name === 'TransactWriteCommand',
      async () => {
        await chargePayment({ orderId: uniqueId('ord'), customerId, amount: 700 }, newSagaId(), payments);
        await chargePayment(request, sagaId, payments).catch(() => undefined);
      },
    );

    const attempt = chargePayment(request, sagaId, store);

    await expect(attempt).rejects.toMatchObject({
      name: ErrorName.PaymentDeclined,
      message: `payment declined for ${customerId}: total 800 exceeds available credit 300`,
    });
    expect(state.fired).toBe(true);
    expect(await creditOf(customerId)).toBe(300);
    expect((await getCharge(request.orderId, payments))?.status).toBe('DECLINED');
  });

  it('gives a delivery that saw too little credit the charge that its twin committed first', async () => {
    const customerId = await customerWith(500);
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    const sagaId = newSagaId();
    // This delivery read credit 500; before it records the decline, credit is added and the twin delivery commits.
    const { store, state } = interceptOnce(
      (command) => command.constructor.name === 'PutCommand',
      async () => {
        await customerWith(1_000, customerId);
        await chargePayment(request, sagaId, payments);
      },
    );

    const result = await chargePayment(request, sagaId, store);

    expect(state.fired).toBe(true);
    expect(result).toEqual({ chargeId: `chg-${request.orderId}`, amount: 800 });
    expect(await creditOf(customerId)).toBe(200);
    expect((await getCharge(request.orderId, payments))?.status).toBe('CHARGED');
  });
});

describe('RefundPayment', () => {
  it('gives the credit back once, however often it is called', async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await chargePayment({ orderId, customerId, amount: 2_000 }, sagaId, payments);

    const first = await refundPayment(orderId, customerId, sagaId, payments);
    const second = await refundPayment(orderId, customerId, sagaId, payments);

    expect(first).toEqual({ chargeId: `chg-${orderId}`, refund: { outcome: 'undone' } });
    expect(second).toEqual({ chargeId: `chg-${orderId}`, refund: { outcome: 'already-undone' } });
    expect(await creditOf(customerId)).toBe(5_000);
    expect((await getCharge(orderId, payments))?.status).toBe('REFUNDED');
  });

  it('refunds exactly once when deliveries race', async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await chargePayment({ orderId, customerId, amount: 2_000 }, sagaId, payments);

    const results = await Promise.allSettled(Array.from({ length: 4 }, () => refundPayment(orderId, customerId, sagaId, payments)));

    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.refund.outcome : (r.reason as Error).name));
    expect(outcomes.filter((o) => o === 'undone')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'undone' || o === 'already-undone' || o === ErrorName.TransientError)).toBe(true);
    expect(await creditOf(customerId)).toBe(5_000);
  });

  it('writes nothing-to-undo for an order never charged, and blocks a late charge of it', async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();

    const refunded = await refundPayment(orderId, customerId, sagaId, payments);
    const late = chargePayment({ orderId, customerId, amount: 100 }, sagaId, payments);

    expect(refunded).toEqual({ chargeId: `chg-${orderId}`, refund: { outcome: 'nothing-to-undo' } });
    await expect(late).rejects.toMatchObject({ name: ErrorName.OrderClosed, orderId });
    expect(await creditOf(customerId)).toBe(5_000);
    expect(await getCharge(orderId, payments)).toMatchObject({ status: 'REFUNDED', sagaId, amount: 0 });
  });

  it('reports already-undone for a declined charge and gives back no credit', async () => {
    const customerId = await customerWith(500);
    const orderId = uniqueId('ord');
    const sagaId = newSagaId();
    await expect(chargePayment({ orderId, customerId, amount: 800 }, sagaId, payments)).rejects.toMatchObject({ name: ErrorName.PaymentDeclined });
    const recorded = await rawItem(payments, Keys.charge(orderId));

    const refunded = await refundPayment(orderId, customerId, sagaId, payments);

    expect(refunded.refund).toEqual({ outcome: 'already-undone' });
    expect(await creditOf(customerId)).toBe(500);
    expect(await rawItem(payments, Keys.charge(orderId))).toEqual(recorded);
  });

  it("leaves another saga's charge alone and names its owner, then still refunds it for the owner", async () => {
    const customerId = await customerWith(5_000);
    const orderId = uniqueId('ord');
    const owner = newSagaId();
    await chargePayment({ orderId, customerId, amount: 2_000 }, owner, payments);
    const recorded = await rawItem(payments, Keys.charge(orderId));

    const foreign = await refundPayment(orderId, customerId, newSagaId(), payments);

    expect(foreign).toEqual({ chargeId: `chg-${orderId}`, refund: { outcome: 'not-owned', owner } });
    expect(await rawItem(payments, Keys.charge(orderId))).toEqual(recorded);
    expect(await creditOf(customerId)).toBe(3_000);

    const own = await refundPayment(orderId, customerId, owner, payments);

    expect(own.refund).toEqual({ outcome: 'undone' });
    expect(await creditOf(customerId)).toBe(5_000);
  });
});

describe('ChargePayment under duplicate delivery', () => {
  it('does not decline an order because of its own charge, made by another delivery in between', async () => {
    const customerId = await customerWith(1_000);
    const request = { orderId: uniqueId('ord'), customerId, amount: 800 };
    const sagaId = newSagaId();
    const { store, state } = interceptOnce(
      (command) => command.constructor.name === 'GetCommand' && command.input.Key?.pk?.startsWith('CUSTOMER#') === true,
      () => chargePayment(request, sagaId, payments),
    );

    const result = await chargePayment(request, sagaId, store);

    expect(state.fired).toBe(true);
    expect(result).toEqual({ chargeId: `chg-${request.orderId}`, amount: 800 });
    expect(await creditOf(customerId)).toBe(200);
  });
});
