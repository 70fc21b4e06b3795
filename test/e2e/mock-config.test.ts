import { generateMockConfig, mockTestCases, recoveryTestCases } from '../../cli/mock-config';
import { LocalRuntime } from '../../local/runtime';
import { loadSynthesizedStack } from '../../local/cloud-assembly';
import { resolveLocalStack } from '../../local/local-stack';
import { responseFor, validateMockConfig } from '../../local/mock-config';
import { E2E_CONTEXT } from '../helpers/global-setup';
import { uniqueId } from '../helpers/tables';

interface FailureCause {
  failedStep: string;
  compensations: { compensation: string; outcome: string; queued?: boolean }[];
}

describe('the generated MockConfigFile', () => {
  let runtime: LocalRuntime;
  let sagaArn: string;
  let recoveryArn: string;
  beforeAll(async () => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' }));
    const config = validateMockConfig(JSON.parse(JSON.stringify(generateMockConfig(stack))));
    runtime = await LocalRuntime.start({ context: E2E_CONTEXT, synth: 'never', dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, mockConfig: config, retryDelayMs: 1 });
    sagaArn = runtime.stateMachine().arn;
    recoveryArn = stack.stateMachines.find((m) => m.arn !== sagaArn)!.arn;
  });
  afterAll(async () => {
    await runtime?.close();
  });

  const run = (arn: string, testCase: string, input: unknown) => runtime.startExecution({ stateMachine: `${arn}#${testCase}`, name: uniqueId('mock'), input }).result;

  it('has a happy path, a transient retry, a duplicate order, one case per step and failure kind, and a compensation failing for good', () => {
    // CreateOrder cannot reject (it refuses duplicates instead): unknown error and timeout only.
    expect(Object.keys(mockTestCases())).toHaveLength(3 + 2 + 4 * 3 + 2);
  });

  it("has the recovery's cases: input in the event or described, not the owner, a malformed command, a compensation failing for good", () => {
    expect(Object.keys(recoveryTestCases()).sort()).toEqual(['InputDescribed', 'InputInEvent', 'MalformedCommand', 'NotTheOwner', 'RefundPaymentFailsForGood']);
  });

  it('names both state machines, the saga first', async () => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' }));

    const names = Object.keys(generateMockConfig(stack).StateMachines);

    expect(names).toEqual([runtime.stateMachine().name, stack.stateMachines.find((m) => m.arn !== sagaArn)!.name]);
  });

  it('expects a failure in the Parallel stage to unwind both its steps', () => {
    const cases = mockTestCases();
    const stage = ['CreateOrder', 'ReserveInventory', 'ChargePaymentAndScheduleShipment', 'ChargePayment', 'ScheduleShipment'];
    const undone = ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'CheckCompensations', 'SagaCompensated'];

    expect(cases.HappyPath.expectedPath).toEqual([...stage, 'ConfirmOrder']);
    expect(cases.ScheduleShipmentRejected.expectedPath).toEqual([...stage, 'ScheduleShipmentFailed', ...undone]);
    expect(cases.ChargePaymentTimeout.expectedPath).toEqual([...stage, 'ChargePaymentFailed', ...undone]);
  });

  it('expects a compensation that fails for good to be recorded, and the unwinding to go on', () => {
    const stage = ['CreateOrder', 'ReserveInventory', 'ChargePaymentAndScheduleShipment', 'ChargePayment', 'ScheduleShipment', 'ConfirmOrder'];
    const unwinding = ['CancelShipment', 'RefundPayment', 'RecordRefundPaymentFailure', 'ReleaseInventory', 'CancelOrder', 'CheckCompensations', 'SagaCompensationFailed'];

    expect(mockTestCases().RefundPaymentFailsForGood.expectedPath).toEqual([...stage, ...unwinding]);
    expect(mockTestCases().RefundPaymentFailureUnrecorded.expectedPath).toEqual([...stage, ...unwinding]);
  });

  it('expects the recovery to run the failure step first, then every compensation unless another saga owns the ledger', () => {
    const cases = recoveryTestCases();
    const compensations = ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CheckCompensations'];

    expect(cases.InputInEvent.expectedPath).toEqual(['HasSagaInput', 'CancelOrder', 'CheckOwnership', ...compensations, 'SagaRecovered']);
    expect(cases.InputDescribed.expectedPath).toEqual(['HasSagaInput', 'DescribeSagaExecution', 'CancelOrder', 'CheckOwnership', ...compensations, 'SagaRecovered']);
    expect(cases.NotTheOwner.expectedPath).toEqual(['HasSagaInput', 'CancelOrder', 'CheckOwnership', 'NotTheOwner']);
    expect(cases.MalformedCommand.expectedPath).toEqual(['HasSagaInput', 'CancelOrder', 'NothingToRecover']);
    expect(cases.RefundPaymentFailsForGood.expectedPath).toEqual([
      ...['HasSagaInput', 'CancelOrder', 'CheckOwnership', 'CancelShipment', 'RefundPayment', 'RecordRefundPaymentFailure', 'ReleaseInventory'],
      ...['CheckCompensations', 'SagaCompensationFailed'],
    ]);
  });

  it('gives the recovery the event of an ended saga execution, with its input as text or null', () => {
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Saga';

    const inEvent = recoveryTestCases().InputInEvent.input(arn) as { detail: { executionArn: string; status: string; input: unknown } };
    const described = recoveryTestCases().InputDescribed.input(arn) as { detail: { input: unknown; inputDetails: unknown } };

    expect(inEvent.detail).toMatchObject({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Saga:ord-mock', status: 'ABORTED' });
    expect(typeof inEvent.detail.input).toBe('string');
    expect(described.detail).toMatchObject({ input: null, inputDetails: { included: false } });
  });

  it.each(Object.entries(mockTestCases()))('drives test case %s to its expected path on the local runtime', async (name, testCase) => {
    const result = await run(sagaArn, name, testCase.input(sagaArn));

    expect(result.path).toEqual(testCase.expectedPath);
    expect(result.status).toBe(testCase.expectedStatus);
  });

  it.each(Object.entries(recoveryTestCases()))("drives the recovery's test case %s to its expected path on the local runtime", async (name, testCase) => {
    const result = await run(recoveryArn, name, testCase.input(sagaArn));

    expect(result.path).toEqual(testCase.expectedPath);
    expect(result.status).toBe(testCase.expectedStatus);
  });

  it('counts attempts per state: the transient case is retried twice', async () => {
    const result = await run(sagaArn, 'ChargePaymentTransient', {});

    expect(result.retries).toBe(2);
  });

  it('retries the compensation that fails for good on every attempt, then says in the cause whether the queue has it', async () => {
    const recorded = await run(sagaArn, 'RefundPaymentFailsForGood', mockTestCases().RefundPaymentFailsForGood.input(sagaArn));
    const unrecorded = await run(sagaArn, 'RefundPaymentFailureUnrecorded', mockTestCases().RefundPaymentFailureUnrecorded.input(sagaArn));

    const refund = (cause?: string) => (JSON.parse(cause ?? '{}') as FailureCause).compensations.find((c) => c.compensation === 'RefundPayment');
    expect(recorded).toMatchObject({ error: 'SagaCompensationFailed', retries: 8 });
    expect(refund(recorded.cause)).toMatchObject({ outcome: 'failed', queued: true });
    // The record retries 5 times too, then the unwinding goes on without it.
    expect(unrecorded).toMatchObject({ error: 'SagaCompensationFailed', retries: 8 + 5 });
    expect(refund(unrecorded.cause)).toMatchObject({ outcome: 'failed', queued: false });
  });

  it('refuses an unknown test case, naming the ones there are', () => {
    expect(() => runtime.startExecution({ stateMachine: `${sagaArn}#Nope`, input: {} })).toThrow(/no test case Nope .*HappyPath/);
  });
});

describe('mocked responses by attempt', () => {
  const byAttempt = { '0': { Return: 'first' }, '1-2': { Return: 'second or third' }, '3': { Return: 'last' } };

  it.each([
    [0, 'first'],
    [1, 'second or third'],
    [2, 'second or third'],
    [3, 'last'],
    [7, 'last'],
  ])('attempt %i gets %s', (attempt, expected) => {
    expect(responseFor(byAttempt, attempt)).toEqual({ Return: expected });
  });

  it('rejects a configuration that names a response it does not define', () => {
    expect(() => validateMockConfig({ StateMachines: { M: { TestCases: { T: { S: 'Missing' } } } }, MockedResponses: {} })).toThrow(/uses mocked response Missing, which is not defined/);
  });
});
