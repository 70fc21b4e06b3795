import { BusinessRejections } from '../lambdas/errors';
import type { LocalStateMachine } from '../local/local-stack';
import type { MockConfig, MockedResponse } from '../local/mock-config';

const STEPS = ['CreateOrder', 'ReserveInventory', 'ChargePayment', 'ConfirmOrder'] as const;
type Step = (typeof STEPS)[number];
const COMPENSATIONS = ['ReleaseInventory', 'RefundPayment', 'CancelOrder'] as const;
const KINDS = ['Rejected', 'UnknownError', 'Timeout'] as const;

const ok = (payload: unknown): Record<string, MockedResponse> => ({ '0': { Return: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: payload } } });
const lambdaError = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });

/** Mocked responses: each step's success, rejection, unknown error and timeout; each compensation's success. */
function mockedResponses(): MockConfig['MockedResponses'] {
  const responses: Record<string, Record<string, MockedResponse>> = {
    CreateOrderSucceeds: ok({ orderId: 'ord-mock', status: 'PENDING' }),
    CreateOrderDuplicate: { '0': { Throw: { Error: 'DuplicateOrder', Cause: lambdaError('DuplicateOrder', 'mocked DuplicateOrder') } } },
    ReserveInventorySucceeds: ok({ reservationId: 'res-ord-mock', total: 11_997 }),
    ChargePaymentSucceeds: ok({ chargeId: 'chg-ord-mock', amount: 11_997 }),
    ConfirmOrderSucceeds: ok({ orderId: 'ord-mock', status: 'CONFIRMED', total: 11_997 }),
    ReleaseInventorySucceeds: ok({ reservationId: 'res-ord-mock', status: 'RELEASED' }),
    RefundPaymentSucceeds: ok({ chargeId: 'chg-ord-mock', status: 'REFUNDED' }),
    CancelOrderSucceeds: ok({ orderId: 'ord-mock', status: 'CANCELLED' }),
    UnknownError: { '0': { Throw: { Error: 'Error', Cause: lambdaError('Error', 'mocked unknown error') } } },
    TimesOut: { '0': { Throw: { Error: 'States.Timeout', Cause: 'mocked Task timeout' } } },
    // A transient error on the first two attempts (a range), then success: the Retry policy absorbs it.
    ChargePaymentTransientThenSucceeds: {
      '0-1': { Throw: { Error: 'TransientError', Cause: lambdaError('TransientError', 'mocked transient error') } },
      '2': { Return: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: { chargeId: 'chg-ord-mock', amount: 11_997 } } },
    },
  };
  for (const step of STEPS) {
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
  const compensationsOk = Object.fromEntries(COMPENSATIONS.map((c) => [c, `${c}Succeeds`]));
  const cases: Record<string, MockTestCase> = {
    HappyPath: { states: Object.fromEntries(STEPS.map((s) => [s, `${s}Succeeds`])), expectedPath: [...STEPS] },
    ChargePaymentTransient: {
      states: {
        CreateOrder: 'CreateOrderSucceeds',
        ReserveInventory: 'ReserveInventorySucceeds',
        ChargePayment: 'ChargePaymentTransientThenSucceeds',
        ConfirmOrder: 'ConfirmOrderSucceeds',
      },
      expectedPath: [...STEPS],
    },
    // The order already has a saga: the execution ends at once with DuplicateOrder and writes nothing.
    DuplicateOrder: { states: { CreateOrder: 'CreateOrderDuplicate' }, expectedPath: ['CreateOrder', 'InputRejected'] },
  };
  const compensationOf: Record<Step, string | undefined> = {
    CreateOrder: undefined,
    ReserveInventory: 'ReleaseInventory',
    ChargePayment: 'RefundPayment',
    ConfirmOrder: undefined,
  };
  for (const [i, step] of STEPS.entries()) {
    for (const kind of KINDS) {
      if (kind === 'Rejected' && BusinessRejections[step].length === 0) continue;
      const before = STEPS.slice(0, i);
      const states = { ...compensationsOk, ...Object.fromEntries(before.map((s) => [s, `${s}Succeeds`])), [step]: kind === 'Rejected' ? `${step}Rejected` : kind === 'Timeout' ? 'TimesOut' : 'UnknownError' };
      // A rejection committed nothing: unwind the steps before. Anything else may have committed: unwind this one too.
      const unwound = (kind === 'Rejected' ? before : STEPS.slice(0, i + 1)).slice().reverse().map((s) => compensationOf[s]).filter((c): c is string => c !== undefined);
      cases[`${step}${kind}`] = {
        states,
        expectedPath: [...before, step, ...unwound, 'CancelOrder', 'CheckCompensations', 'SagaCompensated'],
      };
    }
  }
  return cases;
}

/**
 * A MockConfigFile for Step Functions Local (and for the local runtime's `mockConfig`), keyed by the state machine's
 * name, using the state names of the synthesized definition. Fails if the definition lacks a state it mocks.
 */
export function generateMockConfig(machine: LocalStateMachine): MockConfig {
  const states = new Set(Object.keys((machine.definition.States ?? {})));
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
