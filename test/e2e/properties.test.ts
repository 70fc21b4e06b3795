import * as fc from 'fast-check';
import { seedCatalogue, seedCustomers } from '../../lambdas/domain/seed';
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

/** The saga's stages: ChargePayment and ScheduleShipment run side by side, in the Parallel state named after them. */
const stages = [['CreateOrder'], ['ReserveInventory'], ['ChargePayment', 'ScheduleShipment'], ['ConfirmOrder']] as const;
type Step = (typeof stages)[number][number];
const compensationOf: Record<Step, string | undefined> = {
  CreateOrder: undefined,
  ReserveInventory: 'ReleaseInventory',
  ChargePayment: 'RefundPayment',
  ScheduleShipment: 'CancelShipment',
  ConfirmOrder: undefined,
};
const rejections: Record<Step, readonly string[]> = {
  CreateOrder: [],
  ReserveInventory: ['UnknownSku', 'InsufficientStock', 'OrderClosed', 'DuplicateOrder'],
  ChargePayment: ['UnknownCustomer', 'PaymentDeclined', 'OrderClosed', 'DuplicateOrder'],
  ScheduleShipment: ['UndeliverableAddress', 'OrderClosed', 'DuplicateOrder'],
  ConfirmOrder: ['OrderClosed', 'DuplicateOrder'],
};
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

/**
 * The path DESIGN.md prescribes for a case, derived from the rules, not from the state machine. When both steps of
 * the Parallel stage fail, which of their `<Step>Failed` states is entered depends on timing: `racing` lists them.
 */
function expectedPath(c: Case): { path: string[]; error?: string; racing?: string[] } {
  if (c.malformed) return { path: ['CreateOrder', 'InputRejected'], error: 'InvalidOrder' };
  const path: string[] = [];
  const outcome = (step: Step): 'ok' | 'rejected' | 'failed' => {
    const fault = c.faults[step];
    const error = typeof fault === 'string' ? fault : fault && fault.times > 3 ? fault.error : undefined;
    if (error) return rejections[step].includes(error) ? 'rejected' : 'failed';
    if (step === 'ReserveInventory') return c.lines.some(([sku, q]) => c.stock[sku] < q) ? 'rejected' : 'ok';
    if (step === 'ChargePayment') return c.credit < c.lines.reduce((sum, [sku, q]) => sum + PRICES[sku] * q, 0) ? 'rejected' : 'ok';
    return 'ok';
  };
  let unwindFrom = -1;
  let racing: string[] | undefined;
  for (const [k, stage] of stages.entries()) {
    if (stage.length > 1) path.push(stage.join('And'));
    const failed = stage.filter((step) => outcome(step) !== 'ok');
    if (stage.length > 1 && failed.length > 1) racing = failed.map((step) => `${step}Failed`);
    // The branches enter their steps at once; a failed branch's Fail state follows.
    path.push(...stage);
    if (stage.length > 1 && failed.length === 1) path.push(`${failed[0]}Failed`);
    if (failed.length === 0) continue;
    // A rejection alone in its stage committed nothing; in a stage of several, every step of it may have committed.
    unwindFrom = stage.length === 1 && outcome(failed[0]) === 'rejected' ? k - 1 : k;
    break;
  }
  if (unwindFrom === -1) return { path };
  let compensationFailed = false;
  const compensate = (name: string) => {
    path.push(name);
    const fault = c.faults[name as keyof Faults];
    if (fault === 'Error' || (typeof fault === 'object' && fault.times > 8)) {
      path.push(`Record${name}Failure`);
      compensationFailed = true;
    }
  };
  for (let k = unwindFrom; k >= 0; k--) {
    for (const step of [...stages[k]].reverse()) {
      const compensation = compensationOf[step];
      if (compensation) compensate(compensation);
    }
  }
  compensate('CancelOrder');
  const end = compensationFailed ? SagaErrorName.CompensationFailed : SagaErrorName.Compensated;
  path.push('CheckCompensations', end);
  return { path, error: end, racing };
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
        const racing = expected.racing ?? [];
        expect(result.path.filter((state) => !racing.includes(state))).toEqual(expected.path);
        if (racing.length > 0) expect(result.path.some((state) => racing.includes(state))).toBe(true);
        expect(result.error).toBe(expected.error);
        const report = await checkInvariants(stores, { initialStock, initialCredit, executions, messages: runtime.queues.peek(runtime.stack.outputs.CompensationFailuresQueueUrl) });
        expect(report.violations).toEqual([]);
      }),
      { numRuns: runs, ...replay },
    );
    if (deliverTwice) expect(runtime.duplicatesDelivered).toBeGreaterThan(0);
    // Twenty sagas one after another, each with up to twelve states and Timeout faults: on a machine shared with
    // other work this outlasts jest's default minute. A ceiling, not a measure.
  }, 240_000);
});
