import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ErrorName } from '../../../lambdas/errors';
import { OrderSagaStack } from '../../../lib/order-saga-stack';
import { SagaErrorName } from '../../../lib/saga';
import { allStates, stateMachineDefinition, walk, type AslDefinition, type AslState } from '../../helpers/asl';

let stack: OrderSagaStack;
let template: Template;
let definition: AslDefinition;
/** Every state, those in the Parallel stage's branches included. */
let states: Record<string, AslState>;
let nagFindings: string[];

beforeAll(() => {
  const outdir = mkdtempSync(join(tmpdir(), 'saga-synth-'));
  // Skip bundling: these tests read the template, not the code.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new OrderSagaStack(app, 'TestSaga', { faultInjection: false });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  nagFindings = [];
  try {
    app.synth();
  } catch {
    // A failed validation leaves its report in the cloud assembly: list every unacknowledged finding.
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    nagFindings = report.pluginReports.flatMap((r) =>
      r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
    );
  }
  template = Template.fromStack(stack);
  definition = stateMachineDefinition(template);
  states = allStates(definition);
});

describe('OrderSaga state machine', () => {
  const N = 'CreateOrder';
  const R = 'ReserveInventory';
  const P = 'ChargePaymentAndScheduleShipment';
  const C = 'ChargePayment';
  const S = 'ScheduleShipment';
  const O = 'ConfirmOrder';
  const end = ['CheckCompensations', SagaErrorName.Compensated];
  /** The whole stage, the last listed first, then the stage before: any failure in the stage unwinds all of it. */
  const stageUndone = ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder'];

  it('enters the five steps and the Parallel state of ChargePayment and ScheduleShipment on the happy path', () => {
    const result = walk(definition, {});

    expect(result).toEqual({ path: [N, R, P, C, S, O] });
    expect(definition.States[P].Type).toBe('Parallel');
    expect(definition.States[P].Branches!.map((b) => b.StartAt)).toEqual([C, S]);
  });

  it.each([
    [R, ErrorName.InsufficientStock, [N, R, 'CancelOrder', ...end]],
    [R, ErrorName.UnknownSku, [N, R, 'CancelOrder', ...end]],
    [R, ErrorName.DuplicateOrder, [N, R, 'CancelOrder', ...end]],
    [O, ErrorName.OrderClosed, [N, R, P, C, S, O, ...stageUndone, ...end]],
    [O, ErrorName.DuplicateOrder, [N, R, P, C, S, O, ...stageUndone, ...end]],
  ])('a business rejection of %s (%s) compensates from the previous step', (step, error, expected) => {
    const result = walk(definition, { [step]: error });

    expect(result).toEqual({ path: expected, error: SagaErrorName.Compensated });
  });

  it.each([
    [C, ErrorName.PaymentDeclined, [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...end]],
    [C, ErrorName.UnknownCustomer, [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...end]],
    [C, ErrorName.DuplicateOrder, [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...end]],
    [C, 'Error', [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...end]],
    [C, 'States.Timeout', [N, R, P, C, S, 'ChargePaymentFailed', ...stageUndone, ...end]],
    [S, ErrorName.UndeliverableAddress, [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...end]],
    [S, ErrorName.OrderClosed, [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...end]],
    [S, ErrorName.DuplicateOrder, [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...end]],
    [S, 'Error', [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...end]],
    [S, 'States.Timeout', [N, R, P, C, S, 'ScheduleShipmentFailed', ...stageUndone, ...end]],
  ])('a failure of %s (%s) in the Parallel stage compensates both its steps, then ReserveInventory', (step, error, expected) => {
    const result = walk(definition, { [step]: error });

    expect(result).toEqual({ path: expected, error: SagaErrorName.Compensated });
  });

  it.each([
    [N, ['CancelOrder']],
    [R, ['ReleaseInventory', 'CancelOrder']],
    [O, stageUndone],
  ])('an unknown error or a timeout of %s compensates from that step itself', (step, expected) => {
    for (const error of ['Error', 'States.Timeout', 'Sandbox.Timedout']) {
      const result = walk(definition, { [step]: error });

      expect(result.path.slice(result.path.indexOf(step) + 1)).toEqual([...expected, 'CheckCompensations', SagaErrorName.Compensated]);
    }
  });

  it.each([ErrorName.InvalidOrder, ErrorName.DuplicateOrder])('refuses the command at once when CreateOrder raises %s, with no compensation and no write', (error) => {
    const result = walk(definition, { CreateOrder: error });

    expect(result).toEqual({ path: ['CreateOrder', 'InputRejected'], error: '{% $inputError.Error %}' });
    expect(definition.States.CreateOrder.Catch![0]).toEqual({
      ErrorEquals: [ErrorName.InvalidOrder, ErrorName.DuplicateOrder],
      Next: 'InputRejected',
      Assign: { inputError: '{% $states.errorOutput %}' },
    });
    expect(definition.States.InputRejected).toMatchObject({ Type: 'Fail', Cause: '{% $inputError.Cause %}' });
  });

  it('is written in JSONata', () => {
    expect(definition.QueryLanguage).toBe('JSONata');
  });

  it('keeps the saga in variables: the first step names the saga and its command, each step adds its result', () => {
    expect(definition.States.CreateOrder.Arguments).toMatchObject({ Payload: { sagaId: '{% $states.context.Execution.Id %}', state: '{% $states.input %}' } });
    expect(definition.States.CreateOrder.Assign).toEqual({
      sagaId: '{% $states.context.Execution.Id %}',
      command: '{% $states.input %}',
      compensationFailed: false,
      compensations: [],
      results: '{% {"CreateOrder": {"Payload": $states.result.Payload}} %}',
    });
    for (const name of ['ReserveInventory', 'ConfirmOrder']) {
      expect(definition.States[name].Arguments).toMatchObject({ Payload: { sagaId: '{% $sagaId %}', state: '{% $merge([$command, {"results": $results}]) %}' } });
      expect(definition.States[name].Assign).toEqual({ results: `{% $merge([$results, {"${name}": {"Payload": $states.result.Payload}}]) %}` });
    }
    // In the Parallel stage, each branch's result is its output, and the Parallel state adds them all.
    for (const name of ['ChargePayment', 'ScheduleShipment']) {
      expect(states[name].Arguments).toMatchObject({ Payload: { sagaId: '{% $sagaId %}', state: '{% $merge([$command, {"results": $results}]) %}' } });
      expect(states[name].Output).toBe(`{% {"${name}": {"Payload": $states.result.Payload}} %}`);
      expect(states[name].Assign).toBeUndefined();
    }
    expect(definition.States.ChargePaymentAndScheduleShipment.Assign).toEqual({ results: '{% $merge($append([$results], $states.result)) %}' });
  });

  it('invokes every compensation with the clean saga: its id, its command and the failure', () => {
    for (const name of ['ReleaseInventory', 'RefundPayment', 'CancelShipment', 'CancelOrder']) {
      expect(definition.States[name].Arguments).toMatchObject({ Payload: { sagaId: '{% $sagaId %}', state: '{% $command %}', failure: '{% $failure %}' } });
    }
  });

  it("notes a step's failure in $failure, in the Catch itself", () => {
    const catches = definition.States.ReserveInventory.Catch!;

    expect(catches.map((c) => c.Assign?.failure)).toEqual([
      '{% {"step": "ReserveInventory", "error": $states.errorOutput.Error, "cause": $states.errorOutput.Cause} %}',
      '{% {"step": "ReserveInventory", "error": $states.errorOutput.Error, "cause": $states.errorOutput.Cause} %}',
    ]);
    // The first step's catchers also name the saga, which its own Assign did not get to do.
    expect(definition.States.CreateOrder.Catch!.at(-1)!.Assign).toMatchObject({ sagaId: '{% $states.context.Execution.Id %}', command: '{% $states.input %}' });
  });

  it('ends a failed branch in a Fail state that names its step, which the Parallel state reads into $failure', () => {
    expect(states.ScheduleShipment.Catch).toEqual([
      { ErrorEquals: [ErrorName.UndeliverableAddress, ErrorName.OrderClosed, ErrorName.DuplicateOrder], Next: 'ScheduleShipmentFailed' },
      { ErrorEquals: ['States.ALL'], Next: 'ScheduleShipmentFailed' },
    ]);
    expect(states.ScheduleShipmentFailed).toMatchObject({
      Type: 'Fail',
      Error: SagaErrorName.StepFailed,
      Cause: '{% $string({"step": "ScheduleShipment", "error": $states.input.Error, "cause": $states.input.Cause}) %}',
    });
    expect(definition.States.ChargePaymentAndScheduleShipment.Catch).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        Next: 'CancelShipment',
        Assign: {
          failure:
            '{% $contains($string($states.errorOutput.Cause), /^\\{"step":/) ? $parse($states.errorOutput.Cause) : {"step": "ChargePaymentAndScheduleShipment", "error": $states.errorOutput.Error, "cause": $states.errorOutput.Cause} %}',
        },
      },
    ]);
  });

  it('records a compensation that fails for good and still runs the remaining ones', () => {
    const result = walk(definition, { ConfirmOrder: 'Error', RefundPayment: 'Error' });

    expect(result.path).toEqual([
      'CreateOrder',
      'ReserveInventory',
      'ChargePaymentAndScheduleShipment',
      'ChargePayment',
      'ScheduleShipment',
      'ConfirmOrder',
      'CancelShipment',
      'RefundPayment',
      'RecordRefundPaymentFailure',
      'ReleaseInventory',
      'CancelOrder',
      'CheckCompensations',
      SagaErrorName.CompensationFailed,
    ]);
    expect(result.error).toBe(SagaErrorName.CompensationFailed);
  });

  it('records a failing CancelOrder too', () => {
    const result = walk(definition, { ReserveInventory: ErrorName.InsufficientStock, CancelOrder: 'Error' });

    expect(result.path.slice(-3)).toEqual(['RecordCancelOrderFailure', 'CheckCompensations', SagaErrorName.CompensationFailed]);
  });

  it('never retries a business rejection, and retries transient errors with backoff and full jitter', () => {
    const rejections = {
      CreateOrder: [],
      ReserveInventory: [ErrorName.UnknownSku, ErrorName.InsufficientStock, ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      ChargePayment: [ErrorName.UnknownCustomer, ErrorName.PaymentDeclined, ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      ScheduleShipment: [ErrorName.UndeliverableAddress, ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      ConfirmOrder: [ErrorName.OrderClosed, ErrorName.DuplicateOrder],
    };
    for (const [step, rejected] of Object.entries(rejections)) {
      const retriedErrors = states[step].Retry!.flatMap((r) => r.ErrorEquals);

      expect(retriedErrors).toEqual(expect.arrayContaining([ErrorName.TransientError, 'Lambda.TooManyRequestsException', 'Lambda.ServiceException']));
      for (const rejection of rejected) expect(retriedErrors).not.toContain(rejection);
      expect(retriedErrors).not.toContain('States.ALL');
      expect(states[step].Retry![0]).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      if (rejected.length > 0) expect(states[step].Catch![0].ErrorEquals).toEqual(rejected);
    }
  });

  it('retries every compensation on every error, for minutes', () => {
    for (const name of ['ReleaseInventory', 'RefundPayment', 'CancelShipment', 'CancelOrder']) {
      const [retry] = definition.States[name].Retry!;

      expect(retry).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 8, BackoffRate: 2, JitterStrategy: 'FULL' });
    }
  });

  it('sends the order, step, error and state of a failed compensation to the queue', () => {
    const record = definition.States.RecordReleaseInventoryFailure;

    expect(record.Resource).toContain('sqs:sendMessage');
    expect(record.Arguments).toMatchObject({
      MessageBody: {
        sagaId: '{% $sagaId %}',
        executionArn: '{% $states.context.Execution.Id %}',
        step: 'ReleaseInventory',
        error: '{% $compensationError.Error %}',
        cause: '{% $compensationError.Cause %}',
        input: '{% $command %}',
        failure: '{% $failure %}',
      },
    });
  });

  it('ends a failed saga with a JSON cause: the failed step, its error and cause, and every compensation, those that did not run as skipped', () => {
    const cause =
      '{% $string({"failedStep": $failure.step, "error": $failure.error, "cause": $failure.cause, "compensations": $append($compensations, ' +
      '$map($filter(["CancelShipment","RefundPayment","ReleaseInventory","CancelOrder"], function($c) { $not($c in $compensations.compensation) }), ' +
      'function($c) { {"compensation": $c, "outcome": "skipped"} }))}) %}';

    expect(definition.States[SagaErrorName.Compensated]).toEqual({ Type: 'Fail', Error: SagaErrorName.Compensated, Cause: cause });
    expect(definition.States[SagaErrorName.CompensationFailed]).toEqual({ Type: 'Fail', Error: SagaErrorName.CompensationFailed, Cause: cause });
  });

  it("adds each compensation's outcome to $compensations: ran with its result, or failed with its error and whether it is queued", () => {
    expect(definition.States.RefundPayment.Assign).toEqual({
      compensations: '{% $append($compensations, [{"compensation": "RefundPayment", "outcome": "ran", "result": $states.result.Payload}]) %}',
    });
    expect(definition.States.RefundPayment.Catch).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        Next: 'RecordRefundPaymentFailure',
        Assign: {
          compensationFailed: true,
          compensationError: '{% $states.errorOutput %}',
          compensations:
            '{% $append($compensations, [{"compensation": "RefundPayment", "outcome": "failed", "error": $states.errorOutput.Error, "cause": $states.errorOutput.Cause, "queued": false}]) %}',
        },
      },
    ]);
    expect(definition.States.RecordRefundPaymentFailure.Assign).toEqual({
      compensations: '{% $append($compensations[compensation != "RefundPayment"], [$merge([$compensations[compensation = "RefundPayment"], {"queued": true}])]) %}',
    });
  });

  it('gives every step a Task timeout', () => {
    for (const step of ['CreateOrder', 'ReserveInventory', 'ChargePayment', 'ScheduleShipment', 'ConfirmOrder']) expect(states[step].TimeoutSeconds).toBe(15);
  });
});

describe('OrderSagaStack resources', () => {
  it('keeps each service in its own encrypted, on-demand table with point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
  });

  it('runs every function on Node.js 22, arm64, with X-Ray and a log group of its own', () => {
    // The nine saga functions (steps, compensations, the failure step) and the two Orders API functions.
    template.resourceCountIs('AWS::Lambda::Function', 11);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
      Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue() }) },
    });
    // Fault injection is a saga step's business: off for each of the nine, absent from the API's functions.
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FAULT_INJECTION: 'disabled' }) } }, 9);
  });

  it('logs and traces the state machine', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });

  it('encrypts the compensation-failures queue and alarms on it and on SagaCompensationFailed', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.type = "ExecutionFailed") && ($.details.error = "SagaCompensationFailed") }',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SagaCompensationFailed', Namespace: 'TestSaga' });
  });

  it('outputs the state machine ARN, the table names and the queue URL', () => {
    for (const name of ['StateMachineArn', 'InventoryTableName', 'PaymentsTableName', 'OrdersTableName', 'ShippingTableName', 'CompensationFailuresQueueUrl']) {
      template.hasOutput(name, {});
    }
  });

  it('grants UpdateItem to CreateOrder only when fault injection is enabled', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const withFaults = Template.fromStack(new OrderSagaStack(app, 'WithFaults', { faultInjection: true }));

    withFaults.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FAULT_INJECTION: 'enabled' }) },
    });
    expect(actionsOf(template, 'CreateOrderFunction')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actionsOf(withFaults, 'CreateOrderFunction')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });
});

/** The data actions granted to a function's role, sorted. */
function actionsOf(t: Template, functionId: string): string[] {
  const policies = t.findResources('AWS::IAM::Policy');
  const actions = Object.entries(policies)
    .filter(([id]) => id.startsWith(`${functionId}Role`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action))
    .filter((a) => a.startsWith('dynamodb:'));
  return actions.sort();
}

/** What a function may do: its role's statements as `action on resource` lines. */
function grantsOf(t: Template, functionId: string): string[] {
  const policies = t.findResources('AWS::IAM::Policy');
  const statements = Object.entries(policies)
    .filter(([id]) => id.startsWith(`${functionId}Role`))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
  const roles = t.findResources('AWS::IAM::Role');
  const managed = Object.entries(roles)
    .filter(([id]) => id.startsWith(`${functionId}Role`))
    .flatMap(([, r]) => (r.Properties.ManagedPolicyArns ?? []) as unknown[]);
  expect(managed).toEqual([]);
  return statements
    .flatMap((s) => [s.Action].flat().map((action) => `${action} on ${resourceName(s.Resource)}`))
    .sort();
}

function resourceName(resource: unknown): string {
  if (resource === '*') return '*';
  const text = JSON.stringify(resource);
  const logicalId = /"Fn::GetAtt":\["([A-Za-z]+?)[0-9A-F]{8}"/.exec(text)?.[1];
  return logicalId ? `${logicalId}${text.includes(':*') ? ':*' : ''}` : text;
}

describe('least privilege', () => {
  const xray = ['xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'];
  const logsOf = (fn: string) => [`logs:CreateLogStream on ${fn}Logs`, `logs:PutLogEvents on ${fn}Logs`];
  const data = (table: string, ...actions: string[]) => actions.map((a) => `dynamodb:${a} on ${table}`);

  it.each([
    ['ReserveInventoryFunction', data('InventoryTable', 'BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem')],
    ['ReleaseInventoryFunction', data('InventoryTable', 'GetItem', 'PutItem', 'UpdateItem')],
    ['ChargePaymentFunction', data('PaymentsTable', 'GetItem', 'PutItem', 'UpdateItem')],
    ['RefundPaymentFunction', data('PaymentsTable', 'GetItem', 'PutItem', 'UpdateItem')],
    ['CreateOrderFunction', data('OrdersTable', 'GetItem', 'PutItem')],
    ['ConfirmOrderFunction', data('OrdersTable', 'GetItem', 'PutItem', 'UpdateItem')],
    ['CancelOrderFunction', data('OrdersTable', 'GetItem', 'PutItem', 'UpdateItem')],
    ['ScheduleShipmentFunction', data('ShippingTable', 'GetItem', 'PutItem')],
    ['CancelShipmentFunction', data('ShippingTable', 'GetItem', 'PutItem', 'UpdateItem')],
  ])('%s may touch only its own table, with only the actions it uses', (fn, dataGrants) => {
    expect(grantsOf(template, fn)).toEqual([...dataGrants, ...logsOf(fn), ...xray].sort());
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding', () => {
    expect(nagFindings).toEqual([]);
  });
});

describe('stack synthesis', () => {
  it('is deterministic apart from asset hashes', () => {
    const again = Template.fromStack(new OrderSagaStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TestSaga'));

    expect(stateMachineDefinition(again)).toEqual(definition);
    expect(Stack.of(stack).stackName).toBe('TestSaga');
  });
});

describe('the deployed definitions use only what AWS documents', () => {
  /** Every JSONata expression (`{% … %}`) of a definition, with the state it belongs to. */
  const expressions = (value: unknown, where: string): [string, string][] => {
    if (typeof value === 'string') return value.startsWith('{%') ? [[where, value]] : [];
    if (Array.isArray(value)) return value.flatMap((v) => expressions(v, where));
    if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => expressions(v, where || k));
    return [];
  };
  const machines = () => ['OrderSagaStateMachine', 'OrderSagaRecoveryStateMachine'].map((prefix) => [prefix, stateMachineDefinition(template, prefix)] as const);

  it.each(['OrderSagaStateMachine', 'OrderSagaRecoveryStateMachine'])('%s: no Fail state raises a States.* name', (prefix) => {
    const all = allStates(stateMachineDefinition(template, prefix));
    const fails = Object.entries(all).filter(([, s]) => s.Type === 'Fail');
    // A name computed at run time is allowed only where every Catch that leads there lists named errors alone.
    const caughtInto = (name: string) => Object.values(all).flatMap((s) => (s.Catch ?? []).filter((c) => c.Next === name).flatMap((c) => c.ErrorEquals));
    const raised = fails.map(([name, fail]) => [name, fail.Error?.startsWith('{%') ? caughtInto(name) : [fail.Error]] as const);

    expect(fails.length).toBeGreaterThan(0);
    for (const [name, errors] of raised) {
      expect([name, errors.length > 0 && errors.every((e) => typeof e === 'string' && /^(?!States\.)[A-Za-z][A-Za-z0-9.]*$/.test(e))]).toEqual([name, true]);
    }
  });

  it('writes no lone `$` in any JSONata expression (only named variables, as in AWS examples)', () => {
    // String literals are dropped first: a `$` inside quotes is text.
    const lone = machines().flatMap(([prefix, asl]) =>
      Object.entries(allStates(asl)).flatMap(([name, state]) =>
        expressions(state, '')
          .map(([, e]) => e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'))
          .filter((e) => /(?<!\$)\$(?![\w$])/.test(e))
          .map((e) => `${prefix}.${name}: ${e}`),
      ),
    );

    expect(machines().every(([, asl]) => asl.QueryLanguage === 'JSONata')).toBe(true);
    expect(lone).toEqual([]);
  });
});
