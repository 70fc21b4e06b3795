import { randomUUID } from 'node:crypto';
import { ErrorName } from '../../lambdas/errors';
import type { FaultSpec } from '../../lambdas/schemas';
import { SagaErrorName } from '../../lib/saga';
import type { ExecutionResult, LocalExecution, LocalRuntime } from '../../local/runtime';
import type { OrderStores } from '../../cli/stores';
import { openShop, startSagaRuntime } from '../helpers/saga-runtime';

/**
 * Executions that end without running their compensations (stopped, timed out) are compensated by the recovery
 * path: an EventBridge rule on the saga's status-change events starts the compensation-only state machine.
 */
let runtime: LocalRuntime;
let stores: OrderStores;

beforeAll(async () => {
  ({ runtime, stores } = await startSagaRuntime());
});
afterAll(async () => {
  await runtime?.close();
});

const recoveryPath = ['HasSagaInput', 'CancelOrder', 'CheckOwnership', 'CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CheckCompensations', 'SagaRecovered'];

/** Resolves once the execution has scheduled a Task for `state` (the runtime's history is the clock here). */
async function untilScheduled(execution: LocalExecution, state: string): Promise<void> {
  const scheduledFor = () =>
    execution.history().some((e) => e.type === 'TaskStateEntered' && (e.stateEnteredEventDetails as { name?: string } | undefined)?.name === state);
  for (let i = 0; i < 2_000 && !scheduledFor(); i++) await new Promise((resolve) => setImmediate(resolve));
  while (!scheduledFor()) {
    if (execution.status !== 'RUNNING') throw new Error(`the execution ended ${execution.status} before it entered ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The executions of the recovery state machine for a saga, once everything in flight has settled. */
async function recoveriesOf(rt: LocalRuntime, sagaId: string): Promise<ExecutionResult[]> {
  await rt.settled();
  const main = rt.stateMachine().arn;
  const recoveries = rt.listExecutions().filter((e) => e.stateMachineArn !== main && (e.input as { detail?: { executionArn?: string } }).detail?.executionArn === sagaId);
  return Promise.all(recoveries.map((e) => e.result));
}

describe('a saga stopped while it runs', () => {
  it.each<[string, Record<string, FaultSpec>, string]>([
    ['CreateOrder', { CreateOrder: 'Timeout' }, 'CreateOrder'],
    ['ReserveInventory', { ReserveInventory: 'Timeout' }, 'ReserveInventory'],
    ['ChargePayment', { ChargePayment: 'Timeout' }, 'ChargePayment'],
    ['ScheduleShipment, beside ChargePayment', { ScheduleShipment: 'Timeout' }, 'ScheduleShipment'],
    ['ConfirmOrder', { ConfirmOrder: 'Timeout' }, 'ConfirmOrder'],
    ['RefundPayment, a compensation', { ConfirmOrder: 'Error', RefundPayment: { error: 'Timeout', times: 1 } }, 'RefundPayment'],
  ])('in %s is compensated by the recovery: order CANCELLED, stock and credit back', async (_where, faults, state) => {
    const shop = await openShop(stores);
    const order = shop.order({ faults });
    const execution = runtime.startExecution({ name: randomUUID(), input: order });

    await untilScheduled(execution, state);
    execution.stop('Operator.Stop', 'stopped from the console');
    const result = await execution.result;
    const [recovery, ...others] = await recoveriesOf(runtime, execution.executionArn);

    expect(result).toMatchObject({ status: 'ABORTED', error: 'Operator.Stop' });
    expect(others).toEqual([]);
    expect(recovery).toMatchObject({ status: 'SUCCEEDED', path: recoveryPath });
    const after = await shop.state(order.orderId);
    expect(after).toMatchObject({ stock: [shop.stock, shop.stock], credit: shop.credit });
    expect(after.reservation).not.toBe('RESERVED');
    expect(after.charge).not.toBe('CHARGED');
    expect(after.shipment).not.toBe('SCHEDULED');
    expect(after.order).toMatchObject({ status: 'CANCELLED', sagaId: execution.executionArn, failure: { step: 'Recovery', error: 'ABORTED' } });
  });

  it('that never wrote anything gets a harmless recovery: markers only, nothing taken or given back', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { CreateOrder: 'Timeout' } });
    const execution = runtime.startExecution({ name: randomUUID(), input: order });
    await untilScheduled(execution, 'CreateOrder');

    execution.stop();
    const [recovery] = await recoveriesOf(runtime, (await execution.result).executionArn);

    expect(recovery.status).toBe('SUCCEEDED');
    expect(await shop.state(order.orderId)).toMatchObject({
      stock: [shop.stock, shop.stock],
      credit: shop.credit,
      reservation: 'RELEASED',
      charge: 'REFUNDED',
      order: { status: 'CANCELLED' },
    });
  });

  it('that never owned its order (a second saga) is recovered without touching the owner: NotTheOwner', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    await runtime.startExecution({ name: randomUUID(), input: order }).result;
    const before = await shop.state(order.orderId);
    const second = runtime.startExecution({ name: randomUUID(), input: { ...order, faults: { CreateOrder: 'Timeout' } } });
    await untilScheduled(second, 'CreateOrder');

    second.stop();
    const [recovery] = await recoveriesOf(runtime, (await second.result).executionArn);

    expect(recovery).toMatchObject({ status: 'SUCCEEDED', path: ['HasSagaInput', 'CancelOrder', 'CheckOwnership', 'NotTheOwner'] });
    expect(await shop.state(order.orderId)).toEqual(before);
  });

  it('does not trigger a recovery when it ends the saga way: succeeded, compensated, or refused', async () => {
    // Stock for one order of two: one confirms, the other is rejected and compensated.
    const shop = await openShop(stores, { stock: 2 });
    const executions = [shop.order(), shop.order(), shop.order({ items: [{ sku: shop.sku, quantity: 0 }] })].map((o) => runtime.startExecution({ name: randomUUID(), input: o }));
    const results = await Promise.all(executions.map((e) => e.result));
    const duplicate = await runtime.startExecution({ name: randomUUID(), input: executions[0].input }).result;

    const recoveries = await Promise.all([...results, duplicate].map((r) => recoveriesOf(runtime, r.executionArn)));

    expect([...results, duplicate].map((r) => r.error ?? r.status).sort()).toEqual(
      [ErrorName.DuplicateOrder, ErrorName.InvalidOrder, 'SUCCEEDED', SagaErrorName.Compensated].sort(),
    );
    expect(recoveries.flat()).toEqual([]);
  });
});

describe('the recovery state machine', () => {
  const recovery = () => runtime.stack.stateMachines.find((m) => m.arn !== runtime.stateMachine().arn)!;
  const event = (executionArn: string, input: string | null) => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: runtime.stack.accountId,
    time: new Date().toISOString(),
    region: runtime.stack.region,
    resources: [executionArn],
    detail: { executionArn, stateMachineArn: runtime.stateMachine().arn, name: executionArn.split(':').pop(), status: 'ABORTED', input, inputDetails: { included: input !== null } },
  });

  it('reads the input with DescribeExecution when the event does not carry it (over 248 KiB)', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { ChargePayment: 'Timeout' } });
    const saga = runtime.startExecution({ name: randomUUID(), input: order });
    await untilScheduled(saga, 'ChargePayment');
    saga.stop();
    await recoveriesOf(runtime, saga.executionArn);
    const before = await shop.state(order.orderId);

    const result = await runtime.startExecution({ stateMachine: recovery().arn, input: event(saga.executionArn, null) }).result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', path: ['HasSagaInput', 'DescribeSagaExecution', ...recoveryPath.slice(1)] });
    expect(await shop.state(order.orderId)).toEqual(before);
  });

  it('ends NothingToRecover for a malformed command, which no step can have written', async () => {
    const executionArn = runtime.stateMachine().arn.replace(':stateMachine:', ':execution:') + `:${randomUUID()}`;

    const result = await runtime.startExecution({ stateMachine: recovery().arn, input: event(executionArn, JSON.stringify({ orderId: 'x y', items: 'none' })) }).result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', path: ['HasSagaInput', 'CancelOrder', 'NothingToRecover'] });
  });
});

describe('a saga past its execution timeout', () => {
  let timing: { runtime: LocalRuntime; stores: OrderStores };
  beforeAll(async () => {
    // The saga's own timeout is its worst case (minutes); this runtime cuts the saga's executions at 1 s instead.
    timing = await startSagaRuntime({ executionTimeoutSeconds: 1 });
  });
  afterAll(async () => {
    await timing?.runtime.close();
  });

  it('ends TIMED_OUT and is compensated by the recovery', async () => {
    const shop = await openShop(timing.stores);
    const order = shop.order({ faults: { ConfirmOrder: 'Timeout' } });

    const result = await timing.runtime.startExecution({ name: randomUUID(), input: order }).result;
    const recoveries = await recoveriesOf(timing.runtime, result.executionArn);

    expect(result.status).toBe('TIMED_OUT');
    expect(recoveries.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(await shop.state(order.orderId)).toMatchObject({
      stock: [shop.stock, shop.stock],
      credit: shop.credit,
      reservation: 'RELEASED',
      charge: 'REFUNDED',
      order: { status: 'CANCELLED', failure: { step: 'Recovery', error: 'TIMED_OUT' } },
    });
  });
});
