import { ErrorName } from '../lambdas/errors';
import { OrderSaga } from '../lambdas/order-saga';
import type { PlaceOrder } from '../lambdas/schemas';
import { SagaErrorName } from '../lib/saga-errors';
import { sagaPath } from '../lib/saga-stages';

/** What a scenario must end with. */
export interface Expectation {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly path: readonly string[];
  readonly retries?: number;
}

export interface Scenario {
  readonly title: string;
  /** The execution's name. @default - the orderId */
  readonly name?: string;
  readonly input: PlaceOrder;
  readonly expect: Expectation;
}

/** The path the saga's rules give (lambdas/order-saga.ts, lib/saga-stages.ts): every step, or a failure at one. */
const path = (failure?: { step: string; rejected: boolean; failingCompensations?: string[] }) => sagaPath(OrderSaga, failure);
const london = { line1: '1 Long Acre', city: 'London', postcode: 'WC2E 9LH', country: 'GB' };

/** The demo: one execution per way the saga can end, against the demo catalogue and customers. */
export const DemoScenarios: readonly Scenario[] = [
  {
    title: 'Happy path',
    input: { orderId: 'ord-1001', customerId: 'cus-ada', items: [{ sku: 'SKU-KEYBOARD', quantity: 2 }, { sku: 'SKU-MOUSE', quantity: 1 }], shipTo: london },
    expect: { status: 'SUCCEEDED', path: path() },
  },
  {
    title: 'Out of stock',
    input: { orderId: 'ord-1002', customerId: 'cus-grace', items: [{ sku: 'SKU-MOUSE', quantity: 1 }, { sku: 'SKU-WEBCAM', quantity: 2 }] },
    expect: { status: 'FAILED', error: SagaErrorName.Compensated, path: path({ step: 'ReserveInventory', rejected: true }) },
  },
  {
    title: 'Unknown SKU',
    input: { orderId: 'ord-1003', customerId: 'cus-grace', items: [{ sku: 'SKU-TOASTER', quantity: 1 }] },
    expect: { status: 'FAILED', error: SagaErrorName.Compensated, path: path({ step: 'ReserveInventory', rejected: true }) },
  },
  {
    title: 'Payment declined',
    input: { orderId: 'ord-1004', customerId: 'cus-broke', items: [{ sku: 'SKU-MONITOR', quantity: 1 }] },
    expect: { status: 'FAILED', error: SagaErrorName.Compensated, path: path({ step: 'ChargePayment', rejected: true }) },
  },
  {
    title: 'Undeliverable address',
    input: {
      orderId: 'ord-1010',
      customerId: 'cus-grace',
      items: [{ sku: 'SKU-MOUSE', quantity: 1 }],
      shipTo: { line1: 'McMurdo Station', city: 'Ross Island', postcode: '0', country: 'AQ' },
    },
    expect: { status: 'FAILED', error: SagaErrorName.Compensated, path: path({ step: 'ScheduleShipment', rejected: true }) },
  },
  {
    title: 'Unknown error in ConfirmOrder',
    input: { orderId: 'ord-1005', customerId: 'cus-grace', items: [{ sku: 'SKU-KEYBOARD', quantity: 1 }], faults: { ConfirmOrder: 'Error' } },
    expect: { status: 'FAILED', error: SagaErrorName.Compensated, path: path({ step: 'ConfirmOrder', rejected: false }) },
  },
  {
    title: 'Transient error, retried, then success',
    input: {
      orderId: 'ord-1006',
      customerId: 'cus-grace',
      items: [{ sku: 'SKU-MOUSE', quantity: 1 }],
      faults: { ChargePayment: { error: ErrorName.TransientError, times: 2 } },
    },
    expect: { status: 'SUCCEEDED', path: path(), retries: 2 },
  },
  {
    title: 'ChargePayment times out',
    input: { orderId: 'ord-1007', customerId: 'cus-grace', items: [{ sku: 'SKU-MOUSE', quantity: 1 }], faults: { ChargePayment: 'Timeout' } },
    expect: { status: 'FAILED', error: SagaErrorName.Compensated, path: path({ step: 'ChargePayment', rejected: false }) },
  },
  {
    title: 'A compensation fails for good',
    input: {
      orderId: 'ord-1008',
      customerId: 'cus-grace',
      items: [{ sku: 'SKU-MOUSE', quantity: 1 }],
      faults: { ConfirmOrder: 'Error', RefundPayment: 'Error' },
    },
    expect: {
      status: 'FAILED',
      error: SagaErrorName.CompensationFailed,
      path: path({ step: 'ConfirmOrder', rejected: false, failingCompensations: ['RefundPayment'] }),
    },
  },
  {
    // Started as the console starts executions: with a made-up UUID for a name, for an order that already has a saga.
    title: 'A second saga for a confirmed order, with a console-style name',
    name: 'b5f0c3a2-7e4d-4c1b-9a36-2f8e61d0c7a4',
    input: { orderId: 'ord-1001', customerId: 'cus-grace', items: [{ sku: 'SKU-MONITOR', quantity: 3 }] },
    expect: { status: 'FAILED', error: ErrorName.DuplicateOrder, path: ['CreateOrder', 'InputRejected'] },
  },
  {
    title: 'Malformed order',
    input: { orderId: 'ord-1009', customerId: 'cus-grace', items: [{ sku: 'SKU-MOUSE', quantity: 0 }] },
    expect: { status: 'FAILED', error: ErrorName.InvalidOrder, path: ['CreateOrder', 'InputRejected'] },
  },
];

/** Where an execution's result differs from what was expected; empty when it matches. */
export function differences(expected: Expectation, actual: { status: string; error?: string; path: readonly string[]; retries: number }): string[] {
  const out: string[] = [];
  if (actual.status !== expected.status) out.push(`status ${actual.status}, expected ${expected.status}`);
  if ((actual.error ?? undefined) !== expected.error) out.push(`error ${actual.error ?? 'none'}, expected ${expected.error ?? 'none'}`);
  if (actual.path.join(',') !== expected.path.join(',')) out.push(`path differs; expected ${expected.path.join(' → ')}`);
  if (expected.retries !== undefined && actual.retries !== expected.retries) out.push(`${actual.retries} retries, expected ${expected.retries}`);
  return out;
}
