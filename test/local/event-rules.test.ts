import type { CfnResource } from '../../local/cloud-assembly';
import { InvalidEventRuleError, UnsupportedEventRuleError } from '../../local/event-errors';
import { localNamesFromStack, resolveEventRules, withEventResourceNames } from '../../local/event-rules';
import { resolveIntrinsics, type LocalNames } from '../../local/intrinsics';
import { resolveLocalStack } from '../../local/local-stack';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const SAGA_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:SagaMachine`;
const RECOVERY_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:RecoveryMachine`;

/** A resolver like the local stack's: state machines by ARN, roles and queues by their local ARNs. */
const names: LocalNames = {
  region: REGION,
  accountId: ACCOUNT,
  stackName: 'Shop',
  ref: (id) =>
    ({
      SagaMachine: SAGA_ARN,
      RecoveryMachine: RECOVERY_ARN,
      Failures: `http://sqs.${REGION}.localhost/${ACCOUNT}/Failures`,
    })[id],
  getAtt: (id, attribute) =>
    attribute === 'Arn'
      ? {
          RecoveryRole: `arn:aws:iam::${ACCOUNT}:role/RecoveryRole`,
          Failures: `arn:aws:sqs:${REGION}:${ACCOUNT}:Failures`,
          Notify: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Notify`,
          RecoveryMachine: RECOVERY_ARN,
        }[id]
      : undefined,
};

function recoveryRule(overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}): CfnResource {
  return {
    Type: 'AWS::Events::Rule',
    Properties: {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [{ Ref: 'SagaMachine' }] },
      },
      State: 'ENABLED',
      Targets: [{ Id: 'Target0', Arn: { Ref: 'RecoveryMachine' }, RoleArn: { 'Fn::GetAtt': ['RecoveryRole', 'Arn'] }, ...target }],
      ...overrides,
    },
  };
}

function refusal(resources: Record<string, CfnResource>): unknown {
  try {
    resolveEventRules(resources, { names });
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected the rules to be refused');
}

describe('resolveEventRules', () => {
  it('reads the recovery rule: pattern with references resolved, state machine target with its role', () => {
    const [rule] = resolveEventRules({ RecoveryRule: recoveryRule(), SagaMachine: { Type: 'AWS::StepFunctions::StateMachine' } }, { names });

    expect(rule).toMatchObject({
      logicalId: 'RecoveryRule',
      name: 'RecoveryRule',
      arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/RecoveryRule`,
      eventBusName: 'default',
      state: 'ENABLED',
      enabled: true,
      eventPattern: { detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [SAGA_ARN] } },
    });
    expect(rule.targets).toEqual([
      {
        id: 'Target0',
        arn: RECOVERY_ARN,
        kind: 'state-machine',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/RecoveryRole`,
        deadLetterArn: undefined,
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
        messageGroupId: undefined,
      },
    ]);
    expect(rule.pattern.matches({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'ABORTED', stateMachineArn: SAGA_ARN } })).toBe(true);
  });

  it('reads a pattern CloudFormation holds as JSON text', () => {
    const [rule] = resolveEventRules({ R: recoveryRule({ EventPattern: '{"source":["aws.states"]}' }) }, { names });

    expect(rule.eventPattern).toEqual({ source: ['aws.states'] });
  });

  it('keeps a DISABLED rule, marked as never firing', () => {
    const [rule] = resolveEventRules({ R: recoveryRule({ State: 'DISABLED' }) }, { names });

    expect(rule).toMatchObject({ state: 'DISABLED', enabled: false });
  });

  it('reads a named rule on a custom bus given by ARN, with Lambda and SQS targets, inputs, DLQ and retry policy', () => {
    const resources: Record<string, CfnResource> = {
      OrdersBus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders' } },
      Notify: { Type: 'AWS::Lambda::Function' },
      Failures: { Type: 'AWS::SQS::Queue' },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'order-events',
          EventBusName: { 'Fn::GetAtt': ['OrdersBus', 'Arn'] },
          EventPattern: { source: ['shop.orders'] },
          Targets: [
            {
              Id: 'Notify',
              Arn: { 'Fn::GetAtt': ['Notify', 'Arn'] },
              InputTransformer: { InputPathsMap: { order: '$.detail.orderId' }, InputTemplate: '{"order": <order>}' },
              RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['Failures', 'Arn'] } },
            },
            { Id: 'Queue', Arn: { 'Fn::GetAtt': ['Failures', 'Arn'] }, InputPath: '$.detail', SqsParameters: { MessageGroupId: 'orders' } },
            { Id: 'Constant', Arn: { 'Fn::GetAtt': ['Failures', 'Arn'] }, Input: '{"fixed":true}' },
          ],
        },
      },
    };

    const [rule] = resolveEventRules(resources, { names });

    expect(rule).toMatchObject({ name: 'order-events', eventBusName: 'orders', arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders/order-events` });
    expect(rule.targets[0]).toMatchObject({
      kind: 'lambda-function',
      inputTransformer: { inputPathsMap: { order: '$.detail.orderId' }, inputTemplate: '{"order": <order>}' },
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 120 },
      deadLetterArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:Failures`,
    });
    expect(rule.targets[1]).toMatchObject({ kind: 'sqs-queue', inputPath: '$.detail', messageGroupId: 'orders' });
    expect(rule.targets[2]).toMatchObject({ kind: 'sqs-queue', input: '{"fixed":true}' });
  });

  it('ignores resources that are not rules', () => {
    expect(resolveEventRules({ SagaMachine: { Type: 'AWS::StepFunctions::StateMachine' } }, { names })).toEqual([]);
  });

  describe('refusals, by name', () => {
    it.each([
      ['a scheduled rule', recoveryRule({ ScheduleExpression: 'rate(5 minutes)', EventPattern: undefined }), 'ScheduleExpression'],
      ['an SNS target', recoveryRule({}, { Arn: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts` }), 'Targets[0].Arn'],
      ['another event bus as a target', recoveryRule({}, { Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/other` }), 'Targets[0].Arn'],
      ['an API destination target', recoveryRule({}, { Arn: `arn:aws:events:${REGION}:${ACCOUNT}:api-destination/hook/1` }), 'Targets[0].Arn'],
      ['a Lambda alias target', recoveryRule({}, { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Notify:live` }), 'Targets[0].Arn'],
      ['a target in another account', recoveryRule({}, { Arn: `arn:aws:states:${REGION}:111122223333:stateMachine:Far` }), 'Targets[0].Arn'],
      ['an event bus in another account', recoveryRule({ EventBusName: `arn:aws:events:${REGION}:111122223333:event-bus/central` }), 'EventBusName'],
      ['ECS parameters on a target', recoveryRule({}, { EcsParameters: { TaskDefinitionArn: 'x' } }), 'Targets[0].EcsParameters'],
      ['an InputPath with a wildcard', recoveryRule({}, { InputPath: '$.detail.*' }), 'Targets[0].InputPath'],
    ])('refuses %s as unsupported', (_what, rule, feature) => {
      const err = refusal({ R: rule });

      expect(err).toBeInstanceOf(UnsupportedEventRuleError);
      expect(err).toMatchObject({ logicalId: 'R', feature });
      expect((err as Error).message).toContain('rule R');
    });

    it('refuses a target the stack does not have, when told which exist', () => {
      expect(() => resolveEventRules({ R: recoveryRule() }, { names, targetExists: (arn) => arn === SAGA_ARN })).toThrow(UnsupportedEventRuleError);
    });

    it.each([
      ['a rule with neither pattern nor schedule', recoveryRule({ EventPattern: undefined })],
      ['an invalid pattern', recoveryRule({ EventPattern: { source: 'aws.states' } })],
      ['a target with Input and InputPath', recoveryRule({}, { Input: '{}', InputPath: '$.detail' })],
      ['an Input that is not JSON', recoveryRule({}, { Input: 'not json' })],
      ['a reserved variable name in InputPathsMap', recoveryRule({}, { InputTransformer: { InputPathsMap: { 'aws.events.rule-name': '$.id' }, InputTemplate: '{}' } })],
      ['a retry policy beyond AWS limits', recoveryRule({}, { RetryPolicy: { MaximumRetryAttempts: 500 } })],
      ['a dead-letter queue that is not a queue', recoveryRule({}, { DeadLetterConfig: { Arn: RECOVERY_ARN } })],
      ['an unknown State', recoveryRule({ State: 'PAUSED' })],
      ['six targets', recoveryRule({ Targets: [1, 2, 3, 4, 5, 6].map((i) => ({ Id: `T${i}`, Arn: RECOVERY_ARN })) })],
      ['two targets with one Id', recoveryRule({ Targets: [{ Id: 'T', Arn: RECOVERY_ARN }, { Id: 'T', Arn: RECOVERY_ARN }] })],
    ])('refuses %s as invalid', (_what, rule) => {
      const err = refusal({ R: rule });

      expect(err).toBeInstanceOf(InvalidEventRuleError);
      expect(err).toMatchObject({ logicalId: 'R' });
    });
  });
});

describe('withEventResourceNames', () => {
  it('answers Ref and Fn::GetAtt of event buses and rules, and defers the rest', () => {
    const resources: Record<string, CfnResource> = {
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders' } },
      OnBus: { Type: 'AWS::Events::Rule', Properties: { EventBusName: { Ref: 'Bus' }, EventPattern: { source: ['x'] } } },
      OnDefault: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['x'] } } },
    };
    const withEvents = withEventResourceNames(names, resources);

    expect(resolveIntrinsics([{ Ref: 'Bus' }, { 'Fn::GetAtt': ['Bus', 'Arn'] }], withEvents)).toEqual(['orders', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders`]);
    expect(resolveIntrinsics([{ Ref: 'OnBus' }, { Ref: 'OnDefault' }, { 'Fn::GetAtt': ['OnBus', 'Arn'] }], withEvents)).toEqual([
      'orders|OnBus',
      'OnDefault',
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders/OnBus`,
    ]);
    expect(withEvents.ref('SagaMachine')).toBe(SAGA_ARN);
  });
});

describe('localNamesFromStack', () => {
  it('resolves rule targets to the local stack\u2019s ARNs', () => {
    const resources: Record<string, CfnResource> = {
      Saga: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}' } },
      Recovery: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'recovery', DefinitionString: '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}' } },
      Role: { Type: 'AWS::IAM::Role' },
      Dlq: { Type: 'AWS::SQS::Queue' },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.states'], detail: { stateMachineArn: [{ Ref: 'Saga' }] } },
          Targets: [{ Id: 'R', Arn: { Ref: 'Recovery' }, RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['Dlq', 'Arn'] } } }],
        },
      },
    };
    const stack = resolveLocalStack({ stackName: 'Shop', cdkOut: '/nowhere', template: { Resources: resources } }, REGION);

    const [rule] = resolveEventRules(resources, { names: localNamesFromStack(stack, resources) });

    expect(rule.eventPattern).toEqual({ source: ['aws.states'], detail: { stateMachineArn: [`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Saga`] } });
    expect(rule.targets[0]).toMatchObject({
      arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:recovery`,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/Role`,
      deadLetterArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:Dlq`,
    });
  });
});
