import { generateMockConfig, mockTestCases } from '../../cli/mock-config';
import { LocalRuntime } from '../../local/runtime';
import { loadSynthesizedStack } from '../../local/cloud-assembly';
import { resolveLocalStack } from '../../local/local-stack';
import { responseFor, validateMockConfig } from '../../local/mock-config';
import { E2E_CONTEXT } from '../helpers/global-setup';
import { uniqueId } from '../helpers/tables';

describe('the generated MockConfigFile', () => {
  let runtime: LocalRuntime;
  let arn: string;
  beforeAll(async () => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' }));
    const config = validateMockConfig(JSON.parse(JSON.stringify(generateMockConfig(stack.stateMachines[0]))));
    runtime = await LocalRuntime.start({ context: E2E_CONTEXT, synth: 'never', dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, mockConfig: config, retryDelayMs: 1 });
    arn = runtime.stateMachine().arn;
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('has a happy path, a transient retry, a duplicate order, and one case per step and failure kind', () => {
    // CreateOrder cannot reject (it refuses duplicates instead): unknown error and timeout only.
    expect(Object.keys(mockTestCases())).toHaveLength(3 + 2 + 4 * 3);
  });

  it('expects a failure in the Parallel stage to unwind both its steps', () => {
    const cases = mockTestCases();
    const stage = ['CreateOrder', 'ReserveInventory', 'ChargePaymentAndScheduleShipment', 'ChargePayment', 'ScheduleShipment'];
    const undone = ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'CheckCompensations', 'SagaCompensated'];

    expect(cases.HappyPath.expectedPath).toEqual([...stage, 'ConfirmOrder']);
    expect(cases.ScheduleShipmentRejected.expectedPath).toEqual([...stage, 'ScheduleShipmentFailed', ...undone]);
    expect(cases.ChargePaymentTimeout.expectedPath).toEqual([...stage, 'ChargePaymentFailed', ...undone]);
  });

  it.each(Object.entries(mockTestCases()))('drives test case %s to its expected path on the local runtime', async (_name, testCase) => {
    const name = uniqueId('mock');

    const result = await runtime.startExecution({ stateMachine: `${arn}#${_name}`, name, input: { orderId: name, customerId: 'cus-mock', items: [{ sku: 'SKU-MOCK', quantity: 1 }] } }).result;

    expect(result.path).toEqual(testCase.expectedPath);
    expect(result.status).toBe(testCase.expectedPath.at(-1) === 'ConfirmOrder' ? 'SUCCEEDED' : 'FAILED');
  });

  it('counts attempts per state: the transient case is retried twice', async () => {
    const result = await runtime.startExecution({ stateMachine: `${arn}#ChargePaymentTransient`, name: uniqueId('mock'), input: {} }).result;

    expect(result.retries).toBe(2);
  });

  it('refuses an unknown test case, naming the ones there are', () => {
    expect(() => runtime.startExecution({ stateMachine: `${arn}#Nope`, input: {} })).toThrow(/no test case Nope .*HappyPath/);
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
