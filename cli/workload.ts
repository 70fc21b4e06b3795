import * as fc from 'fast-check';
import type { CatalogueItem } from '../lambdas/domain/inventory';
import type { CustomerAccount } from '../lambdas/domain/payments';
import { seedCatalogue, seedCustomers } from '../lambdas/domain/seed';
import { DeliverableCountries } from '../lambdas/domain/shipping';
import { BusinessRejections, CompensationNames, StepNames } from '../lambdas/order-saga';
import type { FaultSpec, Faults, PlaceOrder, ShippingAddress } from '../lambdas/schemas';
import type { LocalRuntime } from '../local/runtime';
import type { InvariantInput } from './invariants';
import type { OrderStores } from './stores';

export interface WorkloadOptions {
  /** How many sagas. */
  readonly sagas: number;
  /** The random seed: the same seed gives the same workload. */
  readonly seed: number;
  /** Share of sagas with injected faults (0 to 1). @default 0.4 */
  readonly faultRate?: number;
  /** Include Timeout faults (each costs a function timeout of wall time). @default true */
  readonly timeouts?: boolean;
  /**
   * Share of orders (0 to 1) that get a second saga: another execution, with a console-style UUID name, started at
   * the same instant as the first or once it ended, with the same content or another. @default 0
   */
  readonly secondSagas?: number;
  /**
   * Share of sagas (0 to 1) stopped (`StopExecution`) 0-400 ms after they start, wherever they are then; the
   * recovery path must compensate them. @default 0
   */
  readonly stops?: number;
}

/** A second saga for an order that already has one: when it starts, and whether its content is the first's. */
export interface SecondSaga {
  readonly name: string;
  readonly when: 'concurrent' | 'after-end';
  readonly content: 'same' | 'other';
  readonly input: PlaceOrder;
}

/** One order of the workload: the saga that places it, and possibly a second saga for the same order. */
export interface WorkloadOrder {
  /** The first saga's execution name: the orderId, or a console-style UUID. */
  readonly name: string;
  readonly input: PlaceOrder;
  readonly second?: SecondSaga;
  /** Stop the first saga this many milliseconds after it started. */
  readonly stopAfterMs?: number;
}

/** A generated workload: a catalogue and customers with scarce stock and credit, and the orders to place. */
export interface Workload {
  readonly catalogue: CatalogueItem[];
  readonly customers: CustomerAccount[];
  readonly orders: WorkloadOrder[];
  /** Faults injected, by kind. */
  readonly faultCounts: Record<string, number>;
  /** Second sagas, by `when/content`. */
  readonly secondSagaCounts: Record<string, number>;
  /** Sagas to be stopped. */
  readonly stopCount: number;
}

/** Faults at a forward step: its own business rejections, unknown errors, timeouts and transient errors. */
const forwardFault = (step: (typeof StepNames)[number], timeouts: boolean): fc.Arbitrary<FaultSpec> =>
  fc.oneof(
    fc.constantFrom<FaultSpec>('Error', ...BusinessRejections[step]),
    fc.record({ error: fc.constant('TransientError' as const), times: fc.integer({ min: 1, max: 3 }) }),
    ...(timeouts ? [fc.constant<FaultSpec>('Timeout')] : []),
  );

/** Where an order goes: collected (no address), delivered, or, now and then, an address the carrier cannot serve. */
const shippingAddress: fc.Arbitrary<ShippingAddress | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: fc.constantFrom(...DeliverableCountries).map((country) => ({ line1: '1 Market Street', city: 'Springfield', postcode: '12345', country })) },
  { weight: 1, arbitrary: fc.constantFrom('AQ', 'KP', 'US').map((country) => ({ line1: '1 Market Street', city: 'Springfield', postcode: '12345', country })) },
);

/** Faults at compensations: transient ones (retried, then they succeed) and, rarely, permanent ones. */
const compensationFault: fc.Arbitrary<FaultSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ error: fc.constant('TransientError' as const), times: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant<FaultSpec>('Error') },
);

/** A random fault schedule: at most one forward fault and some compensation faults. */
export const faultSchedule = (timeouts: boolean): fc.Arbitrary<Faults> =>
  fc
    .record({
      forward: fc.option(
        fc.constantFrom(...StepNames).chain((step) => fc.tuple(fc.constant(step), forwardFault(step, timeouts))),
        { nil: undefined },
      ),
      compensations: fc.uniqueArray(fc.tuple(fc.constantFrom(...CompensationNames), compensationFault), { selector: ([s]) => s, maxLength: 2 }),
    })
    .map(({ forward, compensations: comp }) => Object.fromEntries([...(forward ? [forward] : []), ...comp]) as Faults);

/** Generates a workload; stock and credit cover only part of the demand, so many orders must be rejected. */
export function generateWorkload(options: WorkloadOptions): Workload {
  const skuCount = Math.max(3, Math.min(20, Math.round(options.sagas / 50)));
  const customerCount = Math.max(3, Math.min(50, Math.round(options.sagas / 20)));
  const catalogue = Array.from({ length: skuCount }, (_, i) => ({
    sku: `SKU-${options.seed}-${i}`,
    price: 100 * (1 + (i % 7)),
    // An order asks for about 4 units: stock covers about 60% of the demand.
    stock: Math.max(1, Math.round((options.sagas * 2.4) / skuCount)),
  }));
  const customers = Array.from({ length: customerCount }, (_, i) => ({
    customerId: `cus-${options.seed}-${i}`,
    // An order costs about 16.00: credit covers about 60% of the demand.
    credit: Math.max(500, Math.round((options.sagas * 1_000) / customerCount)),
  }));
  const faultRate = options.faultRate ?? 0.4;
  const orderArb = fc.record({
    customer: fc.noBias(fc.integer({ min: 0, max: customerCount - 1 })),
    lines: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: skuCount - 1 }), fc.integer({ min: 1, max: 3 })), { selector: ([s]) => s, minLength: 1, maxLength: 3 }),
    // noBias: shares must be uniform, not pulled toward the edge values fast-check favours.
    faulty: fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < faultRate * 1000),
    faults: faultSchedule(options.timeouts ?? true),
    shipTo: shippingAddress,
    malformed: fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < 30),
    // Executions named as the console and the SDKs name them when no name is given.
    consoleName: fc.option(fc.uuid({ version: 4 }), { nil: undefined }),
    second: fc.record({
      picked: fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < (options.secondSagas ?? 0) * 1000),
      name: fc.uuid({ version: 4 }),
      when: fc.constantFrom('concurrent' as const, 'after-end' as const),
      content: fc.constantFrom('same' as const, 'other' as const),
      customer: fc.noBias(fc.integer({ min: 0, max: customerCount - 1 })),
      sku: fc.noBias(fc.integer({ min: 0, max: skuCount - 1 })),
    }),
    stop: fc.record({
      picked: fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < (options.stops ?? 0) * 1000),
      afterMs: fc.noBias(fc.integer({ min: 0, max: 400 })),
    }),
  });
  const faultCounts: Record<string, number> = {};
  const secondSagaCounts: Record<string, number> = {};
  const orders = fc.sample(orderArb, { seed: options.seed, numRuns: options.sagas }).map((o, i): WorkloadOrder => {
    const faults = o.faulty ? o.faults : undefined;
    for (const [step, spec] of Object.entries(faults ?? {})) {
      const kind = `${step}:${typeof spec === 'string' ? spec : `${spec.error}×${spec.times}`}`;
      faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
    }
    const orderId = `ord-${options.seed}-${i}`;
    const input: PlaceOrder = {
      orderId,
      customerId: customers[o.customer].customerId,
      // A few malformed orders (a zero quantity) must be rejected without a write.
      items: o.lines.map(([s, quantity], n) => ({ sku: catalogue[s].sku, quantity: o.malformed && n === 0 ? 0 : quantity })),
      ...(o.shipTo ? { shipTo: o.shipTo } : {}),
      ...(faults && Object.keys(faults).length > 0 ? { faults } : {}),
    };
    let second: SecondSaga | undefined;
    if (o.second.picked) {
      const { when, content } = o.second;
      secondSagaCounts[`${when}/${content}`] = (secondSagaCounts[`${when}/${content}`] ?? 0) + 1;
      const other: PlaceOrder = { orderId, customerId: customers[o.second.customer].customerId, items: [{ sku: catalogue[o.second.sku].sku, quantity: 1 }] };
      second = { name: o.second.name, when, content, input: content === 'same' ? input : other };
    }
    return { name: o.consoleName ?? orderId, input, second, ...(o.stop.picked ? { stopAfterMs: o.stop.afterMs } : {}) };
  });
  return { catalogue, customers, orders, faultCounts, secondSagaCounts, stopCount: orders.filter((o) => o.stopAfterMs !== undefined).length };
}

/** Seeds the workload's catalogue and customers, starts every saga at once, and waits for all of them. */
export async function runWorkload(
  runtime: LocalRuntime,
  stores: OrderStores,
  workload: Workload,
  onProgress?: (done: number, total: number) => void,
): Promise<InvariantInput> {
  await seedCatalogue(workload.catalogue, stores.inventory);
  await seedCustomers(workload.customers, stores.payments);
  const queueUrl = runtime.stack.outputs.CompensationFailuresQueueUrl;
  const before = runtime.queues.peek(queueUrl).length;
  let done = 0;
  const total = workload.orders.length + workload.orders.filter((o) => o.second).length;
  const run = async (name: string, input: PlaceOrder, stopAfterMs?: number) => {
    const execution = runtime.startExecution({ name, input });
    const timer = stopAfterMs === undefined ? undefined : setTimeout(() => execution.stop('Workload.Stopped', 'stopped by the workload'), stopAfterMs);
    const result = await execution.result;
    clearTimeout(timer);
    done++;
    return { input, result };
  };
  const started = workload.orders.flatMap(({ name, input, second, stopAfterMs }) => {
    const first = run(name, input, stopAfterMs);
    if (!second) return [first];
    // A second saga for the same order: at the same instant, or once the first has ended.
    return [first, second.when === 'concurrent' ? run(second.name, second.input) : first.then(() => run(second.name, second.input))];
  });
  const timer = onProgress ? setInterval(() => onProgress(done, total), 5_000) : undefined;
  const executions = await Promise.all(started).finally(() => clearInterval(timer));
  // Recoveries of stopped sagas and late copies of invocations may still be in flight: the stores are checked once
  // everything has landed.
  await runtime.settled();
  const main = runtime.stateMachine().arn;
  const recoveries = runtime
    .listExecutions()
    .filter((e) => e.stateMachineArn !== main)
    .map((e) => ({ sagaId: String((e.input as { detail?: { executionArn?: unknown } }).detail?.executionArn), execution: e }));
  return {
    recoveries: await Promise.all(recoveries.map(async ({ sagaId, execution }) => ({ sagaId, result: await execution.result }))),
    initialStock: Object.fromEntries(workload.catalogue.map((c) => [c.sku, c.stock])),
    initialCredit: Object.fromEntries(workload.customers.map((c) => [c.customerId, c.credit])),
    executions,
    messages: runtime.queues.peek(queueUrl).slice(before),
  };
}
