import { resolveLocalStack } from '../../local/local-stack';
import { resolveIntrinsics, type LocalNames } from '../../local/intrinsics';

const names: LocalNames = {
  region: 'eu-west-1',
  accountId: '000000000000',
  stackName: 'Shop',
  ref: (id) => ({ Table: 'orders-table', Fn: 'reserve-fn' })[id],
  getAtt: (id, attr) => (id === 'Fn' && attr === 'Arn' ? 'arn:aws:lambda:eu-west-1:000000000000:function:reserve-fn' : undefined),
};

describe('resolveIntrinsics', () => {
  it('resolves Fn::Join over Ref, Fn::GetAtt and pseudo parameters', () => {
    const value = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::lambda:invoke ', { 'Fn::GetAtt': ['Fn', 'Arn'] }, ' ', { Ref: 'Table' }]] };

    expect(resolveIntrinsics(value, names)).toBe('arn:aws:states:::lambda:invoke arn:aws:lambda:eu-west-1:000000000000:function:reserve-fn orders-table');
  });

  it('resolves Fn::Sub with references, attributes, its own variables and literals', () => {
    const value = { 'Fn::Sub': ['${AWS::StackName}/${Table}/${Fn.Arn}/${Extra}/${!Literal}', { Extra: { Ref: 'AWS::Region' } }] };

    expect(resolveIntrinsics(value, names)).toBe('Shop/orders-table/arn:aws:lambda:eu-west-1:000000000000:function:reserve-fn/eu-west-1/${Literal}');
  });

  it('resolves nested values and Fn::Select over Fn::Split', () => {
    expect(resolveIntrinsics({ a: [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] }] }, names)).toEqual({ a: ['y'] });
  });

  it('refuses what it cannot resolve, saying where', () => {
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, names, 'MyFunction')).toThrow('MyFunction: cannot resolve Ref Nope');
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, names, 'MyFunction')).toThrow('MyFunction: the local runtime does not resolve Fn::ImportValue');
  });
});

describe('resolveLocalStack', () => {
  it('names tables, functions, queues and the state machine locally, and resolves outputs', () => {
    const stack = resolveLocalStack(
      {
        stackName: 'Shop',
        cdkOut: '/nowhere',
        template: {
          Resources: {
            Orders: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' } },
            Failures: { Type: 'AWS::SQS::Queue', Properties: {} },
            Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"', { 'Fn::GetAtt': ['Orders', 'Arn'] }, '","End":true}}}']] } } },
          },
          Outputs: { Queue: { Value: { Ref: 'Failures' } }, Table: { Value: { Ref: 'Orders' } } },
        },
      },
      'us-east-1',
    );

    expect(stack.tables).toEqual([expect.objectContaining({ TableName: 'Orders', BillingMode: 'PAY_PER_REQUEST' })]);
    expect(stack.queues[0]).toMatchObject({ arn: 'arn:aws:sqs:us-east-1:000000000000:Failures', url: 'http://sqs.us-east-1.localhost/000000000000/Failures' });
    expect(stack.stateMachines[0].definition).toMatchObject({ States: { P: { Result: 'arn:aws:dynamodb:us-east-1:000000000000:table/Orders' } } });
    expect(stack.outputs).toEqual({ Queue: 'http://sqs.us-east-1.localhost/000000000000/Failures', Table: 'Orders' });
  });
});
