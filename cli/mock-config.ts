import { BusinessRejections, CompensationNames, OrderSaga, StepNames, type SagaFunctionName } from '../lambdas/order-saga';
import { sagaPath } from '../lib/saga-stages';
import type { LocalStateMachine } from '../local/local-stack';
import type { MockConfig, MockedResponse } from '../local/mock-config';

const KINDS = ['Rejected', 'UnknownError', 'Timeout'] as const;

const ok = (payload: unknown): Record<string, MockedResponse> => ({ '0': { Return: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: payload } } });
const lambdaError = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });

/** What each function answers when it succeeds (a function of the saga without one does not compile). */
const Successes: Record<SagaFunctionName, unknown> = {
  CreateOrder: { orderId: 'ord-mock', status: 'PENDING' },
  ReserveInventory: { reservationId: 'res-ord-mock', total: 11_997 },
  ChargePayment: { chargeId: 'chg-ord-mock', amount: 11_997 },
  ScheduleShipment: { shipmentId: 'shp-ord-mock', method: 'delivery' },
  ConfirmOrder: { orderId: 'ord-mock', status: 'CONFIRMED', total: 11_997 },
  ReleaseInventory: { reservationId: 'res-ord-mock', release: { outcome: 'undone' } },
  RefundPayment: { chargeId: 'chg-ord-mock', refund: { outcome: 'undone' } },
  CancelShipment: { shipmentId: 'shp-ord-mock', cancellation: { outcome: 'undone' } },
  CancelOrder: { orderId: 'ord-mock', outcome: 'cancelled', status: 'CANCELLED' },
};

/** Mocked responses: each function's success, each step's first rejection, an unknown error and a timeout. */
function mockedResponses(): MockConfig['MockedResponses'] {
  const responses: Record<string, Record<string, MockedResponse>> = {
    CreateOrderDuplicate: { '0': { Throw: { Error: 'DuplicateOrder', Cause: lambdaError('DuplicateOrder', 'mocked DuplicateOrder') } } },
    UnknownError: { '0': { Throw: { Error: 'Error', Cause: lambdaError('Error', 'mocked unknown error') } } },
    TimesOut: { '0': { Throw: { Error: 'States.Timeout', Cause: 'mocked Task timeout' } } },
    // A transient error on the first two attempts (a range), then success: the Retry policy absorbs it.
    ChargePaymentTransientThenSucceeds: {
      '0-1': { Throw: { Error: 'TransientError', Cause: lambdaError('TransientError', 'mocked transient error') } },
      '2': { Return: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: Successes.ChargePayment } },
    },
  };
  for (const [name, payload] of Object.entries(Successes)) responses[`${name}Succeeds`] = ok(payload);
  for (const step of StepNames) {
    const error: string | undefined = BusinessRejections[step][0];
    if (error) responses[`${step}Rejected`] = { '0': { Throw: { Error: error, Cause: lambdaError(error, `mocked ${error}`) } } };
  }
  return responses;
}

/** What a test case mocks, by state, and the path the saga must take. */
export interface MockTestCase {
  readonly states: Record<string, string>;
  readonly expectedPath: string[];
}

/**
 * The test cases: the happy path, a transient error retried, a second saga for the order, and each step ×
 * {rejected (for steps that can reject), unknown error, timeout}.
 */
export function mockTestCases(): Record<string, MockTestCase> {
  const compensationsOk = Object.fromEntries(CompensationNames.map((c) => [c, `${c}Succeeds`]));
  const allSucceed = Object.fromEntries(StepNames.map((s) => [s, `${s}Succeeds`]));
  const cases: Record<string, MockTestCase> = {
    HappyPath: { states: allSucceed, expectedPath: sagaPath(OrderSaga) },
    ChargePaymentTransient: { states: { ...allSucceed, ChargePayment: 'ChargePaymentTransientThenSucceeds' }, expectedPath: sagaPath(OrderSaga) },
    // The order already has a saga: the execution ends at once with DuplicateOrder and writes nothing.
    DuplicateOrder: { states: { CreateOrder: 'CreateOrderDuplicate' }, expectedPath: ['CreateOrder', 'InputRejected'] },
  };
  for (const step of StepNames) {
    for (const kind of KINDS) {
      if (kind === 'Rejected' && BusinessRejections[step].length === 0) continue;
      // Every other step succeeds (those that never run are simply not called).
      const states = { ...compensationsOk, ...allSucceed, [step]: kind === 'Rejected' ? `${step}Rejected` : kind === 'Timeout' ? 'TimesOut' : 'UnknownError' };
      cases[`${step}${kind}`] = { states, expectedPath: sagaPath(OrderSaga, { step, rejected: kind === 'Rejected' }) };
    }
  }
  return cases;
}

/**
 * A MockConfigFile for Step Functions Local (and for the local runtime's `mockConfig`), keyed by the state machine's
 * name, using the state names of the synthesized definition. Fails if the definition lacks a state it mocks.
 */
export function generateMockConfig(machine: LocalStateMachine): MockConfig {
  const states = new Set(stateNames(machine.definition));
  const cases = mockTestCases();
  for (const [name, testCase] of Object.entries(cases)) {
    for (const state of [...Object.keys(testCase.states), ...testCase.expectedPath]) {
      if (!states.has(state)) throw new Error(`test case ${name} refers to state ${state}, which ${machine.name} does not have`);
    }
  }
  return {
    StateMachines: { [machine.name]: { TestCases: Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, c.states])) } },
    MockedResponses: mockedResponses(),
  };
}

/** Every state name of a definition, those inside Parallel branches included. */
function stateNames(definition: { States?: Record<string, { Branches?: unknown[] }> }): string[] {
  return Object.entries(definition.States ?? {}).flatMap(([name, state]) => [
    name,
    ...(state.Branches ?? []).flatMap((branch) => stateNames(branch as { States?: Record<string, { Branches?: unknown[] }> })),
  ]);
}
