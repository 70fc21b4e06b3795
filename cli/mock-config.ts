import { ErrorName } from '../lambdas/errors';
import { BusinessRejections, CompensationNames, OrderSaga, StepNames, type SagaFunctionName } from '../lambdas/order-saga';
import { SagaOutcome } from '../lib/saga-errors';
import { sagaPath, stagesOf } from '../lib/saga-stages';
import { executionStatusChangeEvent, type ExecutionEventStatus } from '../local/execution-status-event';
import type { LocalStack, LocalStateMachine } from '../local/local-stack';
import type { MockConfig, MockedResponse } from '../local/mock-config';

const KINDS = ['Rejected', 'UnknownError', 'Timeout'] as const;

const ok = (payload: unknown): Record<string, MockedResponse> => ({ '0': { Return: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: payload } } });
const lambdaError = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });
/**
 * Every attempt a Retry may make: the MockConfigFile has no "always", and an attempt past the last one mocked is
 * not served the same everywhere (the local runtime repeats the last response, moto's interpreter fails the Task).
 */
const EVERY_ATTEMPT = '0-99';

/** The command every test case's saga is started with (every Task is mocked, so its content is only carried). */
export const MockCommand = { orderId: 'ord-mock', customerId: 'cus-mock', items: [{ sku: 'SKU-MOCK', quantity: 1 }] } as const;

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

/** The compensation that fails for good in the test cases that have one (any would do; this one is mid-unwinding). */
const FAILING: SagaFunctionName = 'RefundPayment';

/**
 * Mocked responses: each function's success, each step's first rejection, an unknown error and a timeout; a
 * compensation failing on every attempt, the compensation-failures queue accepting a record or failing too; the
 * recovery's reads of the saga execution and its ledger found owned by another saga or its command malformed.
 */
function mockedResponses(): MockConfig['MockedResponses'] {
  const responses: Record<string, Record<string, MockedResponse>> = {
    CreateOrderDuplicate: { '0': { Throw: { Error: ErrorName.DuplicateOrder, Cause: lambdaError(ErrorName.DuplicateOrder, 'mocked DuplicateOrder') } } },
    UnknownError: { '0': { Throw: { Error: 'Error', Cause: lambdaError('Error', 'mocked unknown error') } } },
    TimesOut: { '0': { Throw: { Error: 'States.Timeout', Cause: 'mocked Task timeout' } } },
    // A transient error on the first two attempts (a range), then success: the Retry policy absorbs it.
    ChargePaymentTransientThenSucceeds: {
      '0-1': { Throw: { Error: ErrorName.TransientError, Cause: lambdaError(ErrorName.TransientError, 'mocked transient error') } },
      '2': { Return: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: Successes.ChargePayment } },
    },
    [`${FAILING}FailsForGood`]: { [EVERY_ATTEMPT]: { Throw: { Error: 'Error', Cause: lambdaError('Error', `mocked ${FAILING} failing for good`) } } },
    // sqs:sendMessage answers the message's id and the MD5 of its body.
    RecordFailureSucceeds: { '0': { Return: { MessageId: '7c9ef661-c455-4779-a9c2-278531e231c2', MD5OfMessageBody: '3661896f128745a38f8953bd7b25a9a6' } } },
    RecordFailureFails: { [EVERY_ATTEMPT]: { Throw: { Error: 'SQS.SqsException', Cause: 'mocked: the compensation-failures queue is unavailable' } } },
    // aws-sdk:sfn:describeExecution of the saga execution that ended: its input, as JSON text.
    DescribeSagaExecutionSucceeds: {
      '0': { Return: { Name: MockCommand.orderId, Status: 'FAILED', Input: JSON.stringify(MockCommand), InputDetails: { Included: true } } },
    },
    CancelOrderNotOwned: ok({ orderId: 'ord-mock', outcome: SagaOutcome.NotOwned }),
    CancelOrderMalformed: { '0': { Throw: { Error: ErrorName.InvalidOrder, Cause: lambdaError(ErrorName.InvalidOrder, 'mocked InvalidOrder') } } },
  };
  for (const [name, payload] of Object.entries(Successes)) responses[`${name}Succeeds`] = ok(payload);
  for (const step of StepNames) {
    const error: string | undefined = BusinessRejections[step][0];
    if (error) responses[`${step}Rejected`] = { '0': { Throw: { Error: error, Cause: lambdaError(error, `mocked ${error}`) } } };
  }
  return responses;
}

/** What a test case mocks, by state, the input it is meant for, and the path and status it must end with. */
export interface MockTestCase {
  readonly states: Record<string, string>;
  readonly expectedPath: string[];
  readonly expectedStatus: 'SUCCEEDED' | 'FAILED';
  /**
   * The execution's input, given the saga's state machine ARN: the saga's command, or for the recovery the
   * "Step Functions Execution Status Change" event of a saga execution that ended without compensating.
   */
  readonly input: (sagaStateMachineArn: string) => unknown;
}

const command = () => MockCommand;

/**
 * The saga's test cases: the happy path, a transient error retried, a second saga for the order, each step ×
 * {rejected (for steps that can reject), unknown error, timeout}, and a compensation failing for good (recorded on
 * the compensation-failures queue, or not even that).
 */
export function mockTestCases(): Record<string, MockTestCase> {
  const compensationsOk = Object.fromEntries(CompensationNames.map((c) => [c, `${c}Succeeds`]));
  const allSucceed = Object.fromEntries(StepNames.map((s) => [s, `${s}Succeeds`]));
  const succeeded = { expectedStatus: 'SUCCEEDED', input: command } as const;
  const failed = { expectedStatus: 'FAILED', input: command } as const;
  const cases: Record<string, MockTestCase> = {
    HappyPath: { states: allSucceed, expectedPath: sagaPath(OrderSaga), ...succeeded },
    ChargePaymentTransient: { states: { ...allSucceed, ChargePayment: 'ChargePaymentTransientThenSucceeds' }, expectedPath: sagaPath(OrderSaga), ...succeeded },
    // The order already has a saga: the execution ends at once with DuplicateOrder and writes nothing.
    DuplicateOrder: { states: { CreateOrder: 'CreateOrderDuplicate' }, expectedPath: ['CreateOrder', 'InputRejected'], ...failed },
  };
  for (const step of StepNames) {
    for (const kind of KINDS) {
      if (kind === 'Rejected' && BusinessRejections[step].length === 0) continue;
      // Every other step succeeds (those that never run are simply not called).
      const states = { ...compensationsOk, ...allSucceed, [step]: kind === 'Rejected' ? `${step}Rejected` : kind === 'Timeout' ? 'TimesOut' : 'UnknownError' };
      cases[`${step}${kind}`] = { states, expectedPath: sagaPath(OrderSaga, { step, rejected: kind === 'Rejected' }), ...failed };
    }
  }
  // The last step is rejected, so every compensation runs; one of them fails on every attempt. Its failure is
  // recorded on the queue (or the record fails too), the remaining compensations still run, and the saga ends
  // SagaCompensationFailed either way.
  const last = StepNames[StepNames.length - 1];
  const failingForGood = { ...compensationsOk, ...allSucceed, [last]: `${last}Rejected`, [FAILING]: `${FAILING}FailsForGood` };
  const expectedPath = sagaPath(OrderSaga, { step: last, rejected: true, failingCompensations: [FAILING] });
  cases[`${FAILING}FailsForGood`] = { states: { ...failingForGood, [`Record${FAILING}Failure`]: 'RecordFailureSucceeds' }, expectedPath, ...failed };
  cases[`${FAILING}FailureUnrecorded`] = { states: { ...failingForGood, [`Record${FAILING}Failure`]: 'RecordFailureFails' }, expectedPath, ...failed };
  return cases;
}

/** How a recovery goes, for {@link recoveryPath}. */
interface RecoveryShape {
  /** The event does not carry the saga's input, so the recovery reads it with DescribeExecution. */
  readonly described?: boolean;
  /** The failure step answers that another saga owns the ledger. */
  readonly notOwned?: boolean;
  /** The failure step refuses the saga's command as malformed. */
  readonly malformed?: boolean;
  readonly failingCompensations?: readonly string[];
}

/**
 * The states a recovery enters (see `SagaRecovery`): the failure step first, then, if this saga owns the ledger,
 * every compensation in the order the saga's own unwinding runs them from its last stage.
 */
function recoveryPath(shape: RecoveryShape): string[] {
  const path = ['HasSagaInput', ...(shape.described ? ['DescribeSagaExecution'] : []), OrderSaga.onFailure.name];
  if (shape.malformed) return [...path, 'NothingToRecover'];
  path.push('CheckOwnership');
  if (shape.notOwned) return [...path, 'NotTheOwner'];
  const unwinding = stagesOf(OrderSaga.steps)
    .reverse()
    .flatMap((stage) => [...stage].reverse().flatMap((s) => ('compensation' in s ? [s.compensation.name] : [])));
  for (const name of unwinding) path.push(name, ...(shape.failingCompensations?.includes(name) ? [`Record${name}Failure`] : []));
  return [...path, 'CheckCompensations', shape.failingCompensations?.length ? 'SagaCompensationFailed' : 'SagaRecovered'];
}

const STARTED = new Date('2026-01-02T03:04:05.000Z');
const STOPPED = new Date('2026-01-02T03:09:05.000Z');

/** How the saga execution a recovery compensates ended. */
interface SagaEnding {
  readonly status: ExecutionEventStatus;
  readonly error?: string;
  readonly cause?: string;
  /** @default true; false as for an input over 248 KiB: `detail.input` is null */
  readonly inputIncluded?: boolean;
}

/** The status-change event of a saga execution (of the mock command) that ended without compensating. */
function endedSagaEvent(sagaStateMachineArn: string, ending: SagaEnding): unknown {
  const name = MockCommand.orderId;
  const [, , , region, account] = sagaStateMachineArn.split(':');
  const event = executionStatusChangeEvent(
    {
      executionArn: `${sagaStateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: sagaStateMachineArn,
      name,
      status: ending.status,
      startDate: STARTED,
      stopDate: STOPPED,
      input: MockCommand,
      error: ending.error,
      cause: ending.cause,
    },
    { region, account, id: '8a7b2f8e-1c1d-4c9e-9d41-2b0c6e0b5f10' },
  );
  return ending.inputIncluded === false ? { ...event, detail: { ...event.detail, input: null, inputDetails: { included: false } } } : event;
}

/**
 * The recovery's test cases: a stopped saga whose event carries its input, a failed one whose input the recovery
 * reads with DescribeExecution, one whose ledger another saga owns, one whose command the failure step refuses, and a
 * timed-out saga whose recovery meets a compensation failing for good.
 */
export function recoveryTestCases(): Record<string, MockTestCase> {
  const compensationsOk = Object.fromEntries(CompensationNames.map((c) => [c, `${c}Succeeds`]));
  const aborted = (arn: string) => endedSagaEvent(arn, { status: 'ABORTED' });
  return {
    InputInEvent: {
      states: compensationsOk,
      expectedPath: recoveryPath({}),
      expectedStatus: 'SUCCEEDED',
      input: aborted,
    },
    InputDescribed: {
      states: { ...compensationsOk, DescribeSagaExecution: 'DescribeSagaExecutionSucceeds' },
      expectedPath: recoveryPath({ described: true }),
      expectedStatus: 'SUCCEEDED',
      // A command too large for the event failed the saga past a Catch (its state outgrew 256 KiB).
      input: (arn) => endedSagaEvent(arn, { status: 'FAILED', error: 'States.DataLimitExceeded', cause: 'mocked: the state is over 256 KiB', inputIncluded: false }),
    },
    NotTheOwner: {
      states: { ...compensationsOk, [OrderSaga.onFailure.name]: 'CancelOrderNotOwned' },
      expectedPath: recoveryPath({ notOwned: true }),
      expectedStatus: 'SUCCEEDED',
      input: aborted,
    },
    MalformedCommand: {
      states: { ...compensationsOk, [OrderSaga.onFailure.name]: 'CancelOrderMalformed' },
      expectedPath: recoveryPath({ malformed: true }),
      expectedStatus: 'SUCCEEDED',
      input: aborted,
    },
    [`${FAILING}FailsForGood`]: {
      states: { ...compensationsOk, [FAILING]: `${FAILING}FailsForGood`, [`Record${FAILING}Failure`]: 'RecordFailureSucceeds' },
      expectedPath: recoveryPath({ failingCompensations: [FAILING] }),
      expectedStatus: 'FAILED',
      input: (arn) => endedSagaEvent(arn, { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution timed out.' }),
    },
  };
}

/** The saga's state machine and its recovery's, as a MockConfigFile names them. */
export interface SagaStateMachines {
  readonly saga: LocalStateMachine;
  /** Absent when the saga is built with `recovery: false`. */
  readonly recovery?: LocalStateMachine;
}

/**
 * The saga's state machine (the stack's only one, or the one its `StateMachineArn` output names) and its
 * recovery's (the other one). Throws when the stack has a third.
 */
export function sagaStateMachines(stack: Pick<LocalStack, 'stateMachines' | 'outputs'>): SagaStateMachines {
  const machines = stack.stateMachines;
  const saga = machines.length === 1 ? machines[0] : machines.find((m) => m.arn === stack.outputs.StateMachineArn);
  if (!saga) throw new Error(`the stack has ${machines.length} state machines and no StateMachineArn output naming the saga's`);
  const others = machines.filter((m) => m !== saga);
  if (others.length > 1) throw new Error(`the stack has state machines beyond the saga's and its recovery's: ${others.map((m) => m.name).join(', ')}`);
  return { saga, recovery: others[0] };
}

/** Each state machine with its test cases, in the order the MockConfigFile lists them. */
export function mockTestCasesByMachine(machines: SagaStateMachines): { machine: LocalStateMachine; cases: Record<string, MockTestCase> }[] {
  return [
    { machine: machines.saga, cases: mockTestCases() },
    ...(machines.recovery ? [{ machine: machines.recovery, cases: recoveryTestCases() }] : []),
  ];
}

/**
 * A MockConfigFile for Step Functions Local (and for the local runtime's `mockConfig`, and the crosscheck), keyed by
 * the state machines' names, using the state names of the synthesized definitions: the saga's test cases and, given
 * the stack, its recovery's. Fails if a definition lacks a state its test cases mock or expect.
 */
export function generateMockConfig(target: LocalStateMachine | Pick<LocalStack, 'stateMachines' | 'outputs'>): MockConfig {
  const machines = 'definition' in target ? { saga: target } : sagaStateMachines(target);
  const byMachine = mockTestCasesByMachine(machines);
  for (const { machine, cases } of byMachine) {
    const states = new Set(stateNames(machine.definition));
    for (const [name, testCase] of Object.entries(cases)) {
      for (const state of [...Object.keys(testCase.states), ...testCase.expectedPath]) {
        if (!states.has(state)) throw new Error(`test case ${name} refers to state ${state}, which ${machine.name} does not have`);
      }
    }
  }
  return {
    StateMachines: Object.fromEntries(
      byMachine.map(({ machine, cases }) => [machine.name, { TestCases: Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, c.states])) }]),
    ),
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
