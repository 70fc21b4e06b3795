import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Saga, SagaErrorName, type SagaProps, type SagaStep } from '../../../lib/saga';
import { stateMachineDefinition, walk } from '../../helpers/asl';

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
    ])('%s', (_what, make, message) => {
      expect(() => build(make)).toThrow(message);
    });
  });
});
