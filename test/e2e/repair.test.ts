import { checkInvariants } from '../../cli/invariants';
import { repairCompensationFailures, repairExecutionName, repairExitCode, type RepairPort } from '../../cli/repair';
import { localRepairPort } from '../../cli/repair-local';
import type { OrderStores } from '../../cli/stores';
import type { PlaceOrder } from '../../lambdas/schemas';
import type { ExecutionResult, LocalRuntime } from '../../local/runtime';
import { openShop, startSagaRuntime } from '../helpers/saga-runtime';

/** The refund fails its 9 attempts in the saga (so it is recorded on the queue), and succeeds from the 10th on. */
const REFUND_FAILS_UNTIL_REPAIRED = { ConfirmOrder: 'Error', RefundPayment: { error: 'Error', times: 9 } } as const;
const REFUND_FAILS_FOR_GOOD = { ConfirmOrder: 'Error', RefundPayment: 'Error' } as const;

/** Receives and deletes whatever is on the queue, so that each test starts with an empty one. */
function drain(runtime: LocalRuntime): void {
  const url = runtime.stack.outputs.CompensationFailuresQueueUrl;
  for (let batch = runtime.queues.receive(url, { max: 10 }); batch.length > 0; batch = runtime.queues.receive(url, { max: 10 })) {
    for (const message of batch) runtime.queues.delete(url, message.receiptHandle);
  }
}

describe('saga repair on the local runtime', () => {
  let runtime: LocalRuntime;
  let stores: OrderStores;
  let port: RepairPort;
  let queueUrl: string;
  const run = (order: PlaceOrder): Promise<ExecutionResult> => runtime.startExecution({ name: order.orderId, input: order }).result;
  const pending = () => runtime.queues.pending(queueUrl);

  beforeAll(async () => {
    ({ runtime, stores } = await startSagaRuntime());
    port = localRepairPort(runtime);
    queueUrl = runtime.stack.outputs.CompensationFailuresQueueUrl;
  });
  afterEach(() => drain(runtime));
  afterAll(async () => {
    await runtime?.close();
  });

  it('refunds a charge whose refund failed for good once the cause is gone, gives the credit back and deletes the message', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: REFUND_FAILS_UNTIL_REPAIRED });
    const saga = await run(order);
    const before = await shop.state(order.orderId);
    const queued = pending().map((m) => JSON.parse(m.body) as Record<string, unknown>);

    const report = await repairCompensationFailures(port);

    expect(saga.error).toBe('SagaCompensationFailed');
    expect(queued).toEqual([expect.objectContaining({ sagaId: saga.executionArn, executionArn: saga.executionArn, step: 'RefundPayment', error: 'Error' })]);
    expect(before.charge).toBe('CHARGED');
    expect(before.credit).toBe(shop.credit - 2_250);
    expect(report.repaired).toEqual([
      expect.objectContaining({ kind: 'compensation', sagaId: saga.executionArn, step: 'RefundPayment', orderId: order.orderId, outcome: 'undone' }),
    ]);
    expect(report.stillFailing).toEqual([]);
    expect(report.unreadable).toEqual([]);
    expect(repairExitCode(report)).toBe(0);
    const after = await shop.state(order.orderId);
    expect(after.charge).toBe('REFUNDED');
    expect(after.credit).toBe(shop.credit);
    expect(after.order?.status).toBe('CANCELLED');
    expect(after.reservation).toBe('RELEASED');
    expect(pending()).toEqual([]);
  });

  it('keeps a compensation that still fails on the queue, visible again, and reports its new error', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: REFUND_FAILS_FOR_GOOD });
    const saga = await run(order);

    const report = await repairCompensationFailures(port);

    expect(report.repaired).toEqual([]);
    expect(report.stillFailing).toEqual([
      expect.objectContaining({ kind: 'compensation', sagaId: saga.executionArn, step: 'RefundPayment', orderId: order.orderId, error: 'Error' }),
    ]);
    expect(JSON.parse(report.stillFailing[0].cause)).toMatchObject({ errorType: 'Error', errorMessage: 'injected fault at RefundPayment' });
    expect(repairExitCode(report)).toBe(1);
    expect(pending()).toEqual([expect.objectContaining({ inFlight: false, receiveCount: 1 })]);
    expect((await shop.state(order.orderId)).charge).toBe('CHARGED');
  });

  it('is harmless run twice: the second run finds nothing, and a copy of a repaired message is already undone', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: REFUND_FAILS_UNTIL_REPAIRED });
    await run(order);
    const [message] = pending();

    const first = await repairCompensationFailures(port);
    const second = await repairCompensationFailures(port);
    runtime.queues.send(queueUrl, message.body);
    const third = await repairCompensationFailures(port);

    expect(first.repaired).toEqual([expect.objectContaining({ outcome: 'undone' })]);
    expect(second).toMatchObject({ repaired: [], stillFailing: [], unreadable: [] });
    expect(third.repaired).toEqual([expect.objectContaining({ orderId: order.orderId, outcome: 'already-undone' })]);
    const after = await shop.state(order.orderId);
    expect(after.credit).toBe(shop.credit);
    expect(after.charge).toBe('REFUNDED');
    expect(pending()).toEqual([]);
  });

  it('only lists in a dry run: nothing is retried, received or deleted', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: REFUND_FAILS_UNTIL_REPAIRED });
    const saga = await run(order);

    const report = await repairCompensationFailures(port, { dryRun: true });

    expect(report).toMatchObject({ dryRun: true, repaired: [], stillFailing: [], unreadable: [] });
    expect(report.listed).toEqual([
      expect.objectContaining({ kind: 'compensation', sagaId: saga.executionArn, step: 'RefundPayment', orderId: order.orderId, error: 'Error', receiveCount: 0 }),
    ]);
    expect(repairExitCode(report)).toBe(1);
    expect(pending()).toEqual([expect.objectContaining({ inFlight: false, receiveCount: 0 })]);
    expect((await shop.state(order.orderId)).charge).toBe('CHARGED');
  });

  // Decision: a compensation invoked for another saga's record succeeds as a no-op (`not-owned`): the record is
  // that saga's to undo, and retrying would never change the answer. So the message is deleted, and the report
  // names the owner for a person to look at.
  it("leaves another saga's charge alone, reports not-owned with the owner, and deletes the message", async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    const owner = await run(order);
    const intruder = owner.executionArn.replace(/:[^:]+$/, ':intruder');
    runtime.queues.send(queueUrl, { sagaId: intruder, executionArn: intruder, step: 'RefundPayment', error: 'Error', cause: 'made up', input: order });

    const report = await repairCompensationFailures(port);

    expect(owner.status).toBe('SUCCEEDED');
    expect(report.repaired).toEqual([expect.objectContaining({ sagaId: intruder, step: 'RefundPayment', outcome: 'not-owned', owner: owner.executionArn })]);
    expect(pending()).toEqual([]);
    const after = await shop.state(order.orderId);
    expect(after.charge).toBe('CHARGED');
    expect(after.credit).toBe(shop.credit - 2_250);
  });

  it('keeps and reports messages it cannot read', async () => {
    runtime.queues.send(queueUrl, 'not JSON at all');
    runtime.queues.send(queueUrl, { sagaId: 'arn:aws:states:us-east-1:000000000000:execution:X:y', error: 'Error' });

    const report = await repairCompensationFailures(port);

    expect(report.unreadable).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/^the body is not JSON/), body: 'not JSON at all' }),
      expect.objectContaining({ reason: 'neither a compensation failure nor a dead-lettered event: step, input missing' }),
    ]);
    expect(repairExitCode(report)).toBe(1);
    expect(pending().map((m) => m.inFlight)).toEqual([false, false]);
  });

  it('reports a step its state machine does not have as still failing, and keeps the message', async () => {
    const sagaId = runtime.stateMachine().arn.replace(':stateMachine:', ':execution:') + ':no-such-step';
    runtime.queues.send(queueUrl, { sagaId, executionArn: sagaId, step: 'RefundEverything', error: 'Error', input: { orderId: 'ord-x' } });

    const report = await repairCompensationFailures(port);

    expect(report.stillFailing).toEqual([expect.objectContaining({ step: 'RefundEverything', error: 'StepFunctionNotFound', cause: 'the state machine has no state RefundEverything' })]);
    expect(pending()).toHaveLength(1);
  });

  it('starts the target of a dead-lettered event with the event as input, and deletes the message', async () => {
    const target = runtime.stateMachine().arn;
    const event = { version: '0', id: 'e-1', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { status: 'TIMED_OUT' } };
    const { MessageId } = runtime.queues.send(queueUrl, event, {
      RULE_ARN: 'arn:aws:events:us-east-1:000000000000:rule/Recovery',
      TARGET_ARN: target,
      ERROR_CODE: 'SDK_CLIENT_ERROR',
      ERROR_MESSAGE: 'throttled',
    });
    runtime.queues.send(queueUrl, event, { TARGET_ARN: target.replace(/:[^:]+$/, ':Gone') });

    const report = await repairCompensationFailures(port);

    const executionArn = `${target.replace(':stateMachine:', ':execution:')}:repair-${MessageId}`;
    expect(report.repaired).toEqual([{ kind: 'event', messageId: MessageId, targetArn: target, executionArn, outcome: 'started' }]);
    expect(runtime.execution(executionArn)?.input).toEqual(event);
    expect(report.stillFailing).toEqual([expect.objectContaining({ kind: 'event', error: 'StateMachineDoesNotExist' })]);
    expect(pending()).toHaveLength(1);
  });

  it('does not start a dead-lettered event twice: the execution is named after the message', async () => {
    const target = runtime.stateMachine().arn;
    const event = { version: '0', id: 'e-2', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { status: 'ABORTED' } };
    const { MessageId } = runtime.queues.send(queueUrl, event, { TARGET_ARN: target });
    const [first] = (await repairCompensationFailures(port)).repaired;
    await runtime.execution(repairExecutionName(MessageId))?.result;
    const executions = runtime.listExecutions().length;

    const again = await port.startExecution(target, repairExecutionName(MessageId), event);

    expect(first).toMatchObject({ kind: 'event', outcome: 'started' });
    expect(again).toEqual({ ok: true, alreadyStarted: true, executionArn: `${target.replace(':stateMachine:', ':execution:')}:repair-${MessageId}` });
    expect(runtime.listExecutions()).toHaveLength(executions);
  });
});

describe('saga repair and the invariants', () => {
  it('keeps stock and credit conserved and every record owned, before and after the repair', async () => {
    // A DynamoDB Local of its own: the invariants are checked over whole tables.
    const { runtime, stores } = await startSagaRuntime({ dynamoDbEndpoint: undefined });
    try {
      const shop = await openShop(stores);
      const queueUrl = runtime.stack.outputs.CompensationFailuresQueueUrl;
      const orders = [shop.order({ faults: REFUND_FAILS_UNTIL_REPAIRED }), shop.order()];
      const executions = await Promise.all(orders.map(async (input) => ({ input, result: await runtime.startExecution({ name: input.orderId, input }).result })));
      const invariants = { initialStock: { [shop.sku]: shop.stock, [shop.other]: shop.stock }, initialCredit: { [shop.customerId]: shop.credit }, executions };
      const before = await checkInvariants(stores, { ...invariants, messages: runtime.queues.peek(queueUrl) });

      const report = await repairCompensationFailures(localRepairPort(runtime));

      // Every failure the sagas recorded was sent (peek); the repair consumed it (pending).
      const after = await checkInvariants(stores, { ...invariants, messages: runtime.queues.peek(queueUrl) });
      expect(before.violations).toEqual([]);
      expect(before.counts).toMatchObject({ executions: 2, confirmed: 1, cancelled: 1, compensationFailures: 1 });
      expect(report.repaired).toHaveLength(1);
      expect(after.violations).toEqual([]);
      expect(runtime.queues.pending(queueUrl)).toEqual([]);
      expect((await shop.state(orders[0].orderId)).charge).toBe('REFUNDED');
      expect((await shop.state(orders[1].orderId)).charge).toBe('CHARGED');
    } finally {
      await runtime.close();
    }
  });
});
