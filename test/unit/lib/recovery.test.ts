import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrderSagaStack } from '../../../lib/order-saga-stack';
import { stateMachineDefinition, type AslDefinition } from '../../helpers/asl';

let template: Template;
let recovery: AslDefinition;
let saga: AslDefinition;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new OrderSagaStack(app, 'TestSaga'));
  saga = stateMachineDefinition(template, 'OrderSagaStateMachine');
  recovery = stateMachineDefinition(template, 'OrderSagaRecoveryStateMachine');
});

/** The logical id of the one resource of a type whose id starts with `prefix`. */
function logicalId(type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('the recovery rule', () => {
  it("matches the saga's executions that ended without compensating, and no other", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [{ Ref: logicalId('AWS::StepFunctions::StateMachine', 'OrderSagaStateMachine') }],
          $or: [
            { status: ['ABORTED', 'TIMED_OUT'] },
            { status: ['FAILED'], error: [{ 'anything-but': ['SagaCompensated', 'SagaCompensationFailed', 'InvalidOrder', 'DuplicateOrder'] }] },
          ],
        },
      },
      State: 'ENABLED',
    });
  });

  it('starts the recovery state machine with the event, retries for a day, and dead-letters to the compensation-failures queue', () => {
    const recoveryMachine = logicalId('AWS::StepFunctions::StateMachine', 'OrderSagaRecoveryStateMachine');
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { Ref: recoveryMachine },
          RoleArn: Match.anyValue(),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'CompensationFailures'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
    // The rule's role may start the recovery state machine and nothing else.
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p).includes('states:StartExecution') && JSON.stringify(p.Properties.Roles).includes('RecoveryStateMachineEventsRole'),
    ) as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }[];
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: recoveryMachine } }]);
  });

  it('lets EventBridge, from this rule only, send dead letters to the queue', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId('AWS::Events::Rule', 'OrderSagaRecoveryRule'), 'Arn'] } } },
          }),
        ]),
      },
    });
  });
});

describe('the recovery state machine', () => {
  it('takes the input from the event, or reads it with DescribeExecution when the event has none, into variables', () => {
    const variables = (input: string) => ({
      sagaId: '{% $states.input.detail.executionArn %}',
      command: `{% $parse(${input}) %}`,
      failure: { step: 'Recovery', error: '{% $states.input.detail.status %}', cause: expect.stringContaining('without compensating') },
      compensationFailed: false,
      ledger: null,
    });
    expect(recovery.QueryLanguage).toBe('JSONata');
    expect(recovery.StartAt).toBe('HasSagaInput');
    expect(recovery.States.HasSagaInput).toMatchObject({
      Type: 'Choice',
      Choices: [{ Condition: "{% $type($states.input.detail.input) = 'string' %}", Next: 'CancelOrder', Assign: variables('$states.input.detail.input') }],
      Default: 'DescribeSagaExecution',
    });
    expect(recovery.States.DescribeSagaExecution).toMatchObject({
      Resource: 'arn:${Token}:states:::aws-sdk:sfn:describeExecution',
      Arguments: { ExecutionArn: '{% $states.input.detail.executionArn %}' },
      Assign: variables('$states.result.Input'),
      Next: 'CancelOrder',
    });
  });

  it('runs every compensation of the saga in reverse order, for the saga that ended, then ends SagaRecovered', () => {
    const path: string[] = [];
    for (let state: string | undefined = 'CancelOrder'; state; ) {
      path.push(state);
      const s: { Next?: string; Type: string; Default?: string } = recovery.States[state];
      state = s.Type === 'Choice' ? s.Default : s.Next;
    }

    expect(path).toEqual(['CancelOrder', 'CheckOwnership', 'CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CheckCompensations', 'SagaRecovered']);
    for (const name of ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']) {
      expect(recovery.States[name].Arguments).toMatchObject({ Payload: { sagaId: '{% $sagaId %}', state: '{% $command %}', failure: '{% $failure %}' } });
      // The same retries as the saga's own compensations (the first one also refuses to retry a malformed command).
      expect(recovery.States[name].Retry!.filter((r) => !r.ErrorEquals.includes('InvalidOrder'))).toEqual(saga.States[name].Retry);
    }
  });

  it('runs the failure step first, and stops there when the order belongs to another saga', () => {
    expect(recovery.States.CancelOrder).toMatchObject({ Assign: { ledger: '{% $states.result.Payload.outcome %}' }, Next: 'CheckOwnership' });
    expect(recovery.States.CheckOwnership).toMatchObject({
      Type: 'Choice',
      Choices: [{ Condition: "{% $ledger = 'not-owned' %}", Next: 'NotTheOwner' }],
      Default: 'CancelShipment',
    });
    expect(recovery.States.NotTheOwner.Type).toBe('Succeed');
  });

  it('records a compensation that fails for good on the queue with the saga it belongs to, and ends SagaCompensationFailed', () => {
    expect(recovery.States.RefundPayment.Catch!.at(-1)).toEqual({
      ErrorEquals: ['States.ALL'],
      Assign: {
        compensationFailed: true,
        compensationError: '{% $states.errorOutput %}',
        compensations:
          '{% $append($compensations, [{"compensation": "RefundPayment", "outcome": "failed", "error": $states.errorOutput.Error, "cause": $states.errorOutput.Cause, "queued": false}]) %}',
      },
      Next: 'RecordRefundPaymentFailure',
    });
    expect(recovery.States.RecordRefundPaymentFailure.Arguments).toMatchObject({
      MessageBody: { sagaId: '{% $sagaId %}', executionArn: '{% $states.context.Execution.Id %}', step: 'RefundPayment', input: '{% $command %}', failure: '{% $failure %}' },
    });
    expect(recovery.States.SagaCompensationFailed).toMatchObject({ Type: 'Fail', Error: 'SagaCompensationFailed' });
  });

  it('ends NothingToRecover, without retrying, when the command was malformed', () => {
    expect(recovery.States.CancelOrder.Retry![0]).toEqual({ ErrorEquals: ['InvalidOrder', 'DuplicateOrder'], MaxAttempts: 0 });
    expect(recovery.States.CancelOrder.Catch![0]).toMatchObject({ ErrorEquals: ['InvalidOrder', 'DuplicateOrder'], Next: 'NothingToRecover' });
  });

  it('may invoke only the compensations, send only to the queue, and describe only executions of the saga', () => {
    const role = logicalId('AWS::IAM::Role', 'OrderSagaRecoveryStateMachineRole');
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const resourcesOf = (action: string) => JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));

    for (const fn of ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']) expect(resourcesOf('lambda:InvokeFunction')).toContain(`${fn}Function`);
    for (const fn of ['CreateOrder', 'ReserveInventory', 'ChargePayment', 'ScheduleShipment', 'ConfirmOrder']) expect(resourcesOf('lambda:InvokeFunction')).not.toContain(`${fn}Function`);
    expect(resourcesOf('sqs:SendMessage')).toContain('CompensationFailures');
    expect(resourcesOf('states:DescribeExecution')).toMatch(/execution:",\{"Fn::GetAtt":\["OrderSagaStateMachine[0-9A-F]+","Name"\]\},":\*"/);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => !/^(lambda:InvokeFunction|sqs:SendMessage|states:DescribeExecution|logs:|xray:)/.test(a))).toEqual([]);
  });
});

describe("the saga's execution timeout", () => {
  it("is the saga's worst case: 4 stages × (4 attempts × 15 s + 7 s of waits) + 4 compensations × (9 × 10 s + 150 s), plus 10 %, in minutes", () => {
    // ChargePayment and ScheduleShipment run side by side: their stage costs one step's worst case.
    // (268 s + 960 s) × 1.1 = 1,350.8 s → 23 minutes.
    expect(saga).toMatchObject({ TimeoutSeconds: 23 * 60 });
    expect(recovery).toMatchObject({ TimeoutSeconds: 23 * 60 });
  });
});

describe('cdk-nag on a deployable stack', () => {
  it('finds nothing unacknowledged when the stack has a region, as cdk deploy gives it', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'saga-synth-env-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    new OrderSagaStack(app, 'DeployedSaga', { env: { region: 'eu-west-1' } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});
