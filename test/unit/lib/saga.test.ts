import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Saga, SagaErrorName, stagesOf, type SagaProps, type SagaStep } from '../../../lib/saga';
import { stateMachineDefinition, walk, type AslDefinition, type AslState } from '../../helpers/asl';
import before from './fixtures/linear-saga.before.json';

function fixture() {
  const stack = new Stack(new App(), 'SagaTest');
  let n = 0;
  const fn = () =>
    new lambda.Function(stack, `Fn${n++}`, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
    });
  const queue = new sqs.Queue(stack, 'Failures');
  return { stack, fn, queue };
}

function build(make: (f: ReturnType<typeof fixture>) => Omit<SagaProps, 'compensationFailureQueue'>) {
  const f = fixture();
  const saga = new Saga(f.stack, 'Saga', { compensationFailureQueue: f.queue, ...make(f) });
  return { saga, template: Template.fromStack(f.stack) };
}

describe('Saga', () => {
  it('skips a step without compensation when unwinding', () => {
    const { template } = build(({ fn }) => ({
      steps: [
        { name: 'BookFlight', action: fn(), compensation: { name: 'CancelFlight', function: fn() } },
        { name: 'SendEmail', action: fn() },
        { name: 'ChargeCard', action: fn(), businessErrors: ['CardDeclined'] },
      ],
      onFailure: { name: 'CloseTrip', function: fn() },
    }));

    const result = walk(stateMachineDefinition(template), { ChargeCard: 'CardDeclined' });

    expect(result.path).toEqual(['BookFlight', 'SendEmail', 'ChargeCard', 'CancelFlight', 'CloseTrip', 'CheckCompensations', SagaErrorName.Compensated]);
  });

  it('treats every failure of a step without business errors as possibly committed', () => {
    const { template } = build(({ fn }) => ({
      steps: [{ name: 'Book', action: fn(), compensation: { name: 'Unbook', function: fn() } }],
      onFailure: { name: 'Close', function: fn() },
    }));
    const definition = stateMachineDefinition(template);

    expect(definition.States.Book.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Unbook', Assign: expect.objectContaining({ failure: expect.stringContaining('"step": "Book"') }) }]);
    expect(walk(definition, { Book: 'Whatever' }).path).toEqual(['Book', 'Unbook', 'Close', 'CheckCompensations', SagaErrorName.Compensated]);
  });

  it('keeps each step result in $results and passes the saga id and the command with the results to every step', () => {
    const { template } = build(({ fn }) => ({
      steps: [
        { name: 'Book', action: fn() },
        { name: 'Pay', action: fn() },
      ],
      onFailure: { name: 'Close', function: fn() },
    }));
    const { States } = stateMachineDefinition(template);

    expect(States.Book).toMatchObject({
      Resource: expect.stringContaining('states:::lambda:invoke'),
      Arguments: { Payload: { sagaId: '{% $states.context.Execution.Id %}', state: '{% $states.input %}' } },
      Assign: { results: '{% {"Book": {"Payload": $states.result.Payload}} %}' },
      Next: 'Pay',
    });
    expect(States.Pay).toMatchObject({
      Arguments: { Payload: { sagaId: '{% $sagaId %}', state: '{% $merge([$command, {"results": $results}]) %}' } },
      Assign: { results: '{% $merge([$results, {"Pay": {"Payload": $states.result.Payload}}]) %}' },
      Output: '{% $merge([$command, {"results": $merge([$results, {"Pay": {"Payload": $states.result.Payload}}])}]) %}',
      End: true,
    });
  });

  it('uses the retry policy and timeout a step asks for', () => {
    const { template } = build(({ fn }) => ({
      steps: [{ name: 'Book', action: fn(), timeout: Duration.seconds(7), retry: { errors: ['Busy'], maxAttempts: 9 } }],
      onFailure: { name: 'Close', function: fn() },
    }));
    const book = stateMachineDefinition(template).States.Book;

    expect(book.TimeoutSeconds).toBe(7);
    expect(book.Retry).toEqual([{ ErrorEquals: ['Busy'], MaxAttempts: 9 }]);
  });

  it('builds an Express workflow when asked', () => {
    const { template } = build(({ fn }) => ({
      steps: [{ name: 'Book', action: fn() }],
      onFailure: { name: 'Close', function: fn() },
      stateMachineType: sfn.StateMachineType.EXPRESS,
    }));

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
  });

  describe('a linear list', () => {
    /** A definition without what this change added on purpose: the `compensations` variable and the structured cause. */
    const graphOf = (definition: AslDefinition) => {
      const strip = (state: AslState): AslState => {
        const { Assign: _assign, ...rest } = state;
        const kept = state.Type === 'Fail' && (Object.values(SagaErrorName) as string[]).includes(state.Error ?? '') ? { ...rest, Cause: undefined } : rest;
        return {
          ...kept,
          ...(state.Catch ? { Catch: state.Catch.map(({ Assign: _a, ...c }) => c) } : {}),
          ...(state.Choices ? { Choices: state.Choices.map(({ Assign: _a, ...c }) => c) } : {}),
        };
      };
      return { ...definition, States: Object.fromEntries(Object.entries(definition.States).map(([name, state]) => [name, strip(state)])) };
    };
    /** Every Assign, by state (and catcher), without the `compensations` variable. */
    const assignsOf = (definition: AslDefinition): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(definition.States).flatMap(([name, state]): [string, unknown][] => [
          [name, withoutCompensations(state.Assign)],
          ...(state.Catch ?? []).map((c, i): [string, unknown] => [`${name}.Catch[${i}]`, withoutCompensations(c.Assign)]),
          ...(state.Choices ?? []).map((c, i): [string, unknown] => [`${name}.Choices[${i}]`, withoutCompensations(c.Assign)]),
        ]),
      );
    const withoutCompensations = (assign: Record<string, unknown> | undefined) => {
      if (!assign) return undefined;
      const { compensations: _c, ...rest } = assign;
      return Object.keys(rest).length > 0 ? rest : undefined;
    };

    it('builds the same states and transitions as before stages existed, for the saga and its recovery', () => {
      const f = fixture();
      new Saga(f.stack, 'Saga', {
        compensationFailureQueue: f.queue,
        steps: [
          { name: 'OpenTrip', action: f.fn() },
          { name: 'BookFlight', action: f.fn(), businessErrors: ['NoSeats'], compensation: { name: 'CancelFlight', function: f.fn() } },
          { name: 'BookHotel', action: f.fn(), businessErrors: ['NoRooms'], compensation: { name: 'CancelHotel', function: f.fn() } },
          { name: 'ChargeCard', action: f.fn(), businessErrors: ['CardDeclined'] },
        ],
        onFailure: { name: 'CloseTrip', function: f.fn() },
        inputErrors: ['BadTrip'],
        transientErrors: ['Busy'],
      });
      const template = Template.fromStack(f.stack);
      const saga = stateMachineDefinition(template, 'SagaStateMachine');
      const recovery = stateMachineDefinition(template, 'SagaRecovery');
      const was = before as unknown as { saga: AslDefinition; recovery: AslDefinition };

      expect(graphOf(saga)).toEqual(graphOf(was.saga));
      expect(graphOf(recovery)).toEqual(graphOf(was.recovery));
      // Apart from the new `compensations` variable, every variable is assigned as before.
      expect(assignsOf(saga)).toEqual(assignsOf(was.saga));
      expect(assignsOf(recovery)).toEqual(assignsOf(was.recovery));
    });
  });

  describe('stages', () => {
    it('orders steps into stages by their dependencies, a step without any following the one before it', () => {
      const steps = [{ name: 'A' }, { name: 'B' }, { name: 'C', dependsOn: ['A'] }, { name: 'D', dependsOn: ['B', 'C'] }, { name: 'E' }];

      expect(stagesOf(steps).map((stage) => stage.map((s) => s.name))).toEqual([['A'], ['B', 'C'], ['D'], ['E']]);
    });

    it('places a step after the last of its dependencies, whatever the order of the list', () => {
      const steps = [{ name: 'A' }, { name: 'D', dependsOn: ['C'] }, { name: 'B', dependsOn: ['A'] }, { name: 'C', dependsOn: ['B'] }];

      expect(stagesOf(steps).map((stage) => stage.map((s) => s.name))).toEqual([['A'], ['B'], ['C'], ['D']]);
    });

    /** Book → (Pay ∥ Ship) → Confirm, as the order saga runs ChargePayment beside ScheduleShipment. */
    const staged = () =>
      build(({ fn }) => ({
        steps: [
          { name: 'Open', action: fn() },
          { name: 'Book', action: fn(), businessErrors: ['NoSeats'], compensation: { name: 'Unbook', function: fn() } },
          { name: 'Pay', action: fn(), businessErrors: ['Declined'], compensation: { name: 'Refund', function: fn() } },
          { name: 'Ship', action: fn(), businessErrors: ['Undeliverable'], compensation: { name: 'Unship', function: fn() }, dependsOn: ['Book'] },
          { name: 'Confirm', action: fn(), businessErrors: ['Closed'], dependsOn: ['Pay', 'Ship'] },
        ],
        onFailure: { name: 'Close', function: fn() },
      }));
    const end = ['CheckCompensations', SagaErrorName.Compensated];

    it('runs the independent steps of a stage side by side, in a Parallel state named after them', () => {
      const { template, saga } = staged();
      const definition = stateMachineDefinition(template);

      expect(walk(definition, {})).toEqual({ path: ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'Confirm'] });
      expect(saga.stages.map((stage) => stage.map((s) => s.name))).toEqual([['Open'], ['Book'], ['Pay', 'Ship'], ['Confirm']]);
      expect(definition.States.PayAndShip).toMatchObject({
        Type: 'Parallel',
        Assign: { results: '{% $merge($append([$results], $states.result)) %}' },
        Next: 'Confirm',
      });
      // A branch assigns nothing (its variables would stay in it): its result is its output.
      const [pay, ship] = definition.States.PayAndShip.Branches!;
      expect(pay.States.Pay).toMatchObject({
        Arguments: { Payload: { sagaId: '{% $sagaId %}', state: '{% $merge([$command, {"results": $results}]) %}' } },
        Output: '{% {"Pay": {"Payload": $states.result.Payload}} %}',
        End: true,
      });
      expect(pay.States.Pay.Assign).toBeUndefined();
      expect(ship.States.Ship.Catch!.map((c) => [c.ErrorEquals, c.Next])).toEqual([
        [['Undeliverable'], 'ShipFailed'],
        [['States.ALL'], 'ShipFailed'],
      ]);
      expect(ship.States.ShipFailed).toMatchObject({
        Type: 'Fail',
        Error: SagaErrorName.StepFailed,
        Cause: '{% $string({"step": "Ship", "error": $states.input.Error, "cause": $states.input.Cause}) %}',
      });
    });

    it('never retries a business rejection of a step in a stage', () => {
      const { template } = staged();
      const [pay] = stateMachineDefinition(template).States.PayAndShip.Branches!;

      expect(pay.States.Pay.Retry!.flatMap((r) => r.ErrorEquals)).not.toContain('Declined');
    });

    it.each<[string, string, string[]]>([
      // Any failure in a stage unwinds every step of the stage (the last listed first), then the stages before.
      ['Pay', 'Declined', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'PayFailed', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      ['Pay', 'Error', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'PayFailed', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      ['Pay', 'States.Timeout', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'PayFailed', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      ['Ship', 'Undeliverable', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'ShipFailed', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      ['Ship', 'Error', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'ShipFailed', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      ['Ship', 'States.Timeout', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'ShipFailed', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      // Around the stage, the rules of one-step stages.
      ['Book', 'NoSeats', ['Open', 'Book', 'Close', ...end]],
      ['Book', 'Error', ['Open', 'Book', 'Unbook', 'Close', ...end]],
      ['Confirm', 'Closed', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'Confirm', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
      ['Confirm', 'Error', ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'Confirm', 'Unship', 'Refund', 'Unbook', 'Close', ...end]],
    ])('a failure of %s (%s) takes exactly this path', (step, error, path) => {
      const { template } = staged();

      expect(walk(stateMachineDefinition(template), { [step]: error })).toEqual({ path, error: SagaErrorName.Compensated });
    });

    it('notes the failed step from the branch, or the stage itself when the Parallel state fails on its own', () => {
      const { template } = staged();
      const [catcher] = stateMachineDefinition(template).States.PayAndShip.Catch!;

      expect(catcher).toEqual({
        ErrorEquals: ['States.ALL'],
        Next: 'Unship',
        Assign: {
          failure:
            '{% $contains($string($states.errorOutput.Cause), /^\\{"step":/) ? $parse($states.errorOutput.Cause) : {"step": "PayAndShip", "error": $states.errorOutput.Error, "cause": $states.errorOutput.Cause} %}',
        },
      });
    });

    it('records a compensation of the stage that fails for good and still runs the rest', () => {
      const { template } = staged();

      expect(walk(stateMachineDefinition(template), { Ship: 'Undeliverable', Refund: 'Error' })).toEqual({
        path: ['Open', 'Book', 'PayAndShip', 'Pay', 'Ship', 'ShipFailed', 'Unship', 'Refund', 'RecordRefundFailure', 'Unbook', 'Close', 'CheckCompensations', SagaErrorName.CompensationFailed],
        error: SagaErrorName.CompensationFailed,
      });
    });

    it('gives the recovery every compensation, a stage’s last listed first', () => {
      const { template } = staged();
      const recovery = stateMachineDefinition(template, 'SagaRecovery');

      expect(walk(recovery, {}).path).toEqual(['HasSagaInput', 'DescribeSagaExecution', 'Close', 'CheckOwnership', 'Unship', 'Refund', 'Unbook', 'CheckCompensations', 'SagaRecovered']);
    });

    it('budgets the slowest step of a stage, not their sum', () => {
      const f = fixture();
      const slow = new lambda.Function(f.stack, 'Slow', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
        timeout: Duration.minutes(10),
      });
      const props = (dependsOn?: string[]): SagaProps => ({
        compensationFailureQueue: f.queue,
        steps: [
          { name: 'Open', action: f.fn() },
          { name: 'Pay', action: slow },
          { name: 'Ship', action: slow, dependsOn },
        ],
        onFailure: { name: 'Close', function: f.fn() },
      });

      expect(Saga.timeoutBudget(props(['Open'])).toMinutes()).toBeLessThan(Saga.timeoutBudget(props()).toMinutes());
    });
  });

  describe('refuses a definition it cannot build', () => {
    const step = (f: ReturnType<typeof fixture>, name: string, extra: Partial<SagaStep> = {}): SagaStep => ({ name, action: f.fn(), ...extra });

    it.each<[string, (f: ReturnType<typeof fixture>) => Omit<SagaProps, 'compensationFailureQueue'>, RegExp]>([
      ['no steps', (f) => ({ steps: [], onFailure: { name: 'Close', function: f.fn() } }), /steps must hold at least one step/],
      ['a duplicate step name', (f) => ({ steps: [step(f, 'Book'), step(f, 'Book')], onFailure: { name: 'Close', function: f.fn() } }), /step name 'Book' is already used by step/],
      [
        'a compensation named like a step',
        (f) => ({ steps: [step(f, 'Book', { compensation: { name: 'Book', function: f.fn() } })], onFailure: { name: 'Close', function: f.fn() } }),
        /compensation of Book name 'Book' is already used/,
      ],
      ['a reserved name', (f) => ({ steps: [step(f, 'CheckCompensations')], onFailure: { name: 'Close', function: f.fn() } }), /'CheckCompensations' is already used by the saga itself/],
      ['a name with spaces', (f) => ({ steps: [step(f, 'Book flight')], onFailure: { name: 'Close', function: f.fn() } }), /name 'Book flight' must be 1-64 letters and digits/],
      [
        'States.ALL as a business error',
        (f) => ({ steps: [step(f, 'Book', { businessErrors: ['States.ALL'] })], onFailure: { name: 'Close', function: f.fn() } }),
        /lists States.ALL as business errors/,
      ],
      [
        'an error both input error and business error',
        (f) => ({ steps: [step(f, 'Book', { businessErrors: ['Bad'] })], onFailure: { name: 'Close', function: f.fn() }, inputErrors: ['Bad'] }),
        /lists Bad both as a business error and as an input error/,
      ],
      ['a dependency on an unknown step', (f) => ({ steps: [step(f, 'Book'), step(f, 'Pay', { dependsOn: ['Bok'] })], onFailure: { name: 'Close', function: f.fn() } }), /step Pay depends on Bok, which is not a step of the saga/],
      ['a step that depends on itself', (f) => ({ steps: [step(f, 'Book'), step(f, 'Pay', { dependsOn: ['Pay'] })], onFailure: { name: 'Close', function: f.fn() } }), /step Pay depends on itself/],
      [
        'a cycle',
        (f) => ({
          steps: [step(f, 'Book'), step(f, 'Pay', { dependsOn: ['Ship'] }), step(f, 'Ship', { dependsOn: ['Confirm'] }), step(f, 'Confirm', { dependsOn: ['Pay'] })],
          onFailure: { name: 'Close', function: f.fn() },
        }),
        /the dependencies of Pay form a cycle: Pay → Ship → Confirm → Pay/,
      ],
      [
        'a second step that depends on nothing',
        (f) => ({ steps: [step(f, 'Book'), step(f, 'Pay', { dependsOn: [] })], onFailure: { name: 'Close', function: f.fn() } }),
        /Book, Pay depend on no step; only the first step \(Book\) may/,
      ],
      [
        'a step named like the Parallel state of a stage',
        (f) => ({
          steps: [step(f, 'Book'), step(f, 'Pay'), step(f, 'Ship', { dependsOn: ['Book'] }), step(f, 'PayAndShip', { dependsOn: ['Pay', 'Ship'] })],
          onFailure: { name: 'Close', function: f.fn() },
        }),
        /the Parallel state of the stage of Pay, Ship name 'PayAndShip' is already used by step/,
      ],
      [
        'a step named like the failure state of a step in a stage',
        (f) => ({
          steps: [step(f, 'Book'), step(f, 'Pay'), step(f, 'Ship', { dependsOn: ['Book'] }), step(f, 'ShipFailed', { dependsOn: ['Pay', 'Ship'] })],
          onFailure: { name: 'Close', function: f.fn() },
        }),
        /the failure state of Ship in its stage name 'ShipFailed' is already used by step/,
      ],
      [
        'a stage whose Parallel state name would be too long',
        (f) => ({
          steps: [step(f, 'Book'), step(f, `Pay${'x'.repeat(40)}`), step(f, `Ship${'y'.repeat(40)}`, { dependsOn: ['Book'] })],
          onFailure: { name: 'Close', function: f.fn() },
        }),
        /would be named 'Payx+AndShipy+', longer than 80 characters/,
      ],
    ])('%s', (_what, make, message) => {
      expect(() => build(make)).toThrow(message);
    });
  });
});
