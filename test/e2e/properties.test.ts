import * as fc from 'fast-check';
import { seedCatalogue, seedCustomers } from '../../lambdas/domain/seed';
import { BusinessRejections } from '../../lambdas/errors';
import type { Faults, PlaceOrder } from '../../lambdas/schemas';
import { SagaErrorName } from '../../lib/saga';
import type { LocalRuntime, ExecutionResult } from '../../local/runtime';
import { checkInvariants } from '../../cli/invariants';
import type { OrderStores } from '../../cli/stores';
import { faultSchedule } from '../../cli/workload';
import { startSagaRuntime } from '../helpers/saga-runtime';

/**
 * Random orders against random stock and credit, with random fault schedules. Each saga must take the path the
 * rules prescribe, and the invariants must hold over everything run so far.
 * A failure prints fast-check's seed and path; replay with SAGA_SEED=<seed> SAGA_PATH=<path> npm test.
 */
const runs = Number(process.env.SAGA_PROPERTY_RUNS ?? 20);
const replay = process.env.SAGA_SEED ? { seed: Number(process.env.SAGA_SEED), path: process.env.SAGA_PATH } : {};

const steps = ['CreateOrder', 'ReserveInventory', 'ChargePayment', 'ConfirmOrder'] as const;
const compensationOf: Record<string, string | undefined> = { CreateOrder: undefined, ReserveInventory: 'ReleaseInventory', ChargePayment: 'RefundPayment', ConfirmOrder: undefined };
const PRICES = [500, 700];

interface Case {
  stock: number[];
  credit: number;
  lines: [number, number][];
  malformed: boolean;
  faults: Faults;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  stock: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })),
  credit: fc.integer({ min: 0, max: 4_000 }),
  lines: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 3 })), { selector: ([s]) => s, minLength: 1, maxLength: 2 }),
  malformed: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  faults: faultSchedule(true),
});

/** The path DESIGN.md prescribes for a case, derived from the rules, not from the state machine. */
function expectedPath(c: Case): { path: string[]; error?: string } {
  if (c.malformed) return { path: ['CreateOrder', 'InputRejected'], error: 'InvalidOrder' };
  const path: string[] = [];
  const outcome = (step: (typeof steps)[number]): 'ok' | 'rejected' | 'failed' => {
    const fault = c.faults[step];
    const error = typeof fault === 'string' ? fault : fault && fault.times > 3 ? fault.error : undefined;
    if (error) return (BusinessRejections[step] as readonly string[]).includes(error) ? 'rejected' : 'failed';
    if (step === 'ReserveInventory') return c.lines.some(([sku, q]) => c.stock[sku] < q) ? 'rejected' : 'ok';
    if (step === 'ChargePayment') return c.credit < c.lines.reduce((sum, [sku, q]) => sum + PRICES[sku] * q, 0) ? 'rejected' : 'ok';
    return 'ok';
  };
  let unwindFrom = -1;
  for (const [i, step] of steps.entries()) {
    path.push(step);
    const result = outcome(step);
    if (result === 'ok') continue;
    unwindFrom = result === 'rejected' ? i - 1 : i;
    break;
  }
  if (unwindFrom === -1 && path.length === steps.length) return { path };
  let compensationFailed = false;
  const compensate = (name: string) => {
    path.push(name);
    const fault = c.faults[name as keyof Faults];
    if (fault === 'Error' || (typeof fault === 'object' && fault.times > 8)) {
      path.push(`Record${name}Failure`);
      compensationFailed = true;
    }
  };
  for (let i = unwindFrom; i >= 0; i--) {
    const compensation = compensationOf[steps[i]];
    if (compensation) compensate(compensation);
  }
  compensate('CancelOrder');
  const end = compensationFailed ? SagaErrorName.CompensationFailed : SagaErrorName.Compensated;
  path.push('CheckCompensations', end);
  return { path, error: end };
}

describe.each([
  ['once', false],
  ['twice (at-least-once delivery)', true],
])('random orders and fault schedules, every invocation delivered %s', (_how, deliverTwice) => {
  let runtime: LocalRuntime;
  let stores: OrderStores;
  beforeAll(async () => {
    // A DynamoDB Local of its own: the invariants are checked over whole tables.
    // Timeouts at half their deployed length: short enough for Timeout faults, long enough that a busy machine
    // (other test files run alongside) does not time out a healthy step.
    ({ runtime, stores } = await startSagaRuntime({ dynamoDbEndpoint: undefined, deliverTwice, retryDelayMs: 1, timeoutScale: 0.5 }));
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('takes the prescribed path and keeps every invariant', async () => {
    const executions: { input: unknown; result: ExecutionResult }[] = [];
    const initialStock: Record<string, number> = {};
    const initialCredit: Record<string, number> = {};
    let n = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        n++;
        const tag = `${deliverTwice ? 'd' : 's'}${n}-${Date.now().toString(36)}`;
        const skus = [`SKU-A-${tag}`, `SKU-B-${tag}`];
        const customerId = `cus-${tag}`;
        await seedCatalogue(skus.map((sku, i) => ({ sku, price: PRICES[i], stock: c.stock[i] })), stores.inventory);
        await seedCustomers([{ customerId, credit: c.credit }], stores.payments);
        skus.forEach((sku, i) => (initialStock[sku] = c.stock[i]));
        initialCredit[customerId] = c.credit;
        const order: PlaceOrder = {
          orderId: `ord-${tag}`,
          customerId,
          items: c.lines.map(([sku, q], i) => ({ sku: skus[sku], quantity: c.malformed && i === 0 ? 0 : q })),
          faults: c.faults,
        };

        const result = await runtime.startExecution({ name: order.orderId, input: order }).result;
        executions.push({ input: order, result });

        const expected = expectedPath(c);
        expect(result.path).toEqual(expected.path);
        expect(result.error).toBe(expected.error);
        const report = await checkInvariants(stores, { initialStock, initialCredit, executions, messages: runtime.queues.peek(runtime.stack.outputs.CompensationFailuresQueueUrl) });
        expect(report.violations).toEqual([]);
      }),
      { numRuns: runs, ...replay },
    );
    if (deliverTwice) expect(runtime.duplicatesDelivered).toBeGreaterThan(0);
  });
});
