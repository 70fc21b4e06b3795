import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderEventJsonSchema } from '../../../lib/order-event-schema';
import { OrderEvents } from '../../../lib/order-events';
import { OrderSagaStack } from '../../../lib/order-saga-stack';
import { OrdersApi, type OrdersApiProps } from '../../../lib/orders-api';
import { matchesEventPattern } from '../../../local/event-pattern';

const template = Template.fromStack(new OrderSagaStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'ApiSaga'));

const only = (type: string): [string, { Properties: Record<string, unknown> }] => {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as [string, { Properties: Record<string, unknown> }];
};
interface PipeProperties {
  Source: unknown;
  Target: unknown;
  SourceParameters: { DynamoDBStreamParameters: Record<string, unknown>; FilterCriteria: { Filters: { Pattern: string }[] } };
  TargetParameters: { InputTemplate: string; EventBridgeEventBusParameters: { DetailType: string; Source: string } };
}
const pipeProperties = () => Object.values(template.findResources('AWS::Pipes::Pipe')).map((p) => p.Properties as PipeProperties);
const logicalId = (type: string, prefix: string) => Object.keys(template.findResources(type)).find((id) => id.startsWith(prefix))!;

/** The statements of the inline policies of the role whose logical id starts with `rolePrefix`. */
function statementsOf(rolePrefix: string): { Action: string | string[]; Resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
}
const actionsOf = (rolePrefix: string) =>
  statementsOf(rolePrefix)
    .flatMap((s) => [s.Action].flat())
    .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))
    .sort();

describe('Orders API', () => {
  it('routes POST /orders and GET /orders/{orderId} to their own functions, by Lambda proxy integration', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => ({
      method: m.Properties.HttpMethod as string,
      type: m.Properties.Integration.Type as string,
      target: JSON.stringify(m.Properties.Integration.Uri).match(/OrdersApi(\w+?)Function/)?.[1],
    }));

    expect(methods.sort((a, b) => a.method.localeCompare(b.method))).toEqual([
      { method: 'GET', type: 'AWS_PROXY', target: 'GetOrder' },
      { method: 'POST', type: 'AWS_PROXY', target: 'PlaceOrder' },
    ]);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'orders' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{orderId}' });
  });

  it('requires IAM authorization on every method, and has no CORS preflight unless asked', () => {
    template.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' });
    expect(Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod as string)).not.toContain('OPTIONS');
  });

  it('throttles the stage, writes JSON access logs to its own log group, and traces with X-Ray', () => {
    const accessLogs = logicalId('AWS::Logs::LogGroup', 'OrdersApiAccessLogs');

    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] }, Format: Match.stringLikeRegexp('"status":"\\$context.status"') },
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('gives the command function only GetItem on the orders table and StartExecution/DescribeExecution on the saga', () => {
    expect(actionsOf('OrdersApiPlaceOrderFunctionRole')).toEqual(['dynamodb:GetItem', 'states:DescribeExecution', 'states:StartExecution']);
    const orders = logicalId('AWS::DynamoDB::Table', 'OrdersTable');
    const machine = logicalId('AWS::StepFunctions::StateMachine', 'OrderSagaStateMachine');
    const resources = JSON.stringify(statementsOf('OrdersApiPlaceOrderFunctionRole').filter((s) => ![s.Action].flat()[0].match(/^(logs|xray):/)));
    expect(resources).toContain(orders);
    expect(resources).toContain(machine);
    expect(resources).not.toContain('InventoryTable');
    expect(resources).not.toContain('PaymentsTable');
  });

  it('gives the query function only GetItem on the orders table', () => {
    expect(actionsOf('OrdersApiGetOrderFunctionRole')).toEqual(['dynamodb:GetItem']);
    const resources = JSON.stringify(statementsOf('OrdersApiGetOrderFunctionRole').filter((s) => [s.Action].flat()[0] === 'dynamodb:GetItem'));
    expect(resources).toContain(logicalId('AWS::DynamoDB::Table', 'OrdersTable'));
  });

  it('allows API Gateway to invoke each function only from its own method', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((p) => JSON.stringify(p.Properties.SourceArn as unknown));

    expect(permissions.some((arn) => arn.includes('/POST/orders"'))).toBe(true);
    expect(permissions.some((arn) => arn.includes('/GET/orders/*"'))).toBe(true);
  });

  /** An OrdersApi alone in a stack, with a stand-in state machine and table. */
  const apiAlone = (props: Partial<OrdersApiProps>) => {
    const host = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Host');
    const ordersTable = new dynamodb.Table(host, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const stateMachine = new sfn.StateMachine(host, 'M', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(host, 'P')) });
    new OrdersApi(host, 'Api', { stateMachine, ordersTable, ...props });
    return Template.fromStack(host);
  };

  it('adds CORS preflight only when asked', () => {
    const methods = Object.values(apiAlone({ cors: { allowOrigins: ['https://shop.example'] } }).findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod as string);

    expect(methods).toContain('OPTIONS');
  });

  it('refuses a throttling setting API Gateway would not take, naming it', () => {
    expect(() => apiAlone({ throttlingBurstLimit: 0 })).toThrow(/burst 0/);
    expect(() => apiAlone({ throttlingRateLimit: -1 })).toThrow(/rate -1/);
  });
});

describe('OrderEvents', () => {
  it('puts the orders table on a stream of new and old images', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    template.resourcePropertiesCountIs('AWS::DynamoDB::Table', { StreamSpecification: Match.anyValue() }, 1);
  });

  it('publishes on its own bus, archived for a year', () => {
    const [bus] = only('AWS::Events::EventBus');
    const [, archive] = only('AWS::Events::Archive');

    expect(archive.Properties).toMatchObject({ SourceArn: { 'Fn::GetAtt': [bus, 'Arn'] }, RetentionDays: 365, EventPattern: { source: ['serverless-saga.orders'] } });
  });

  it('has one pipe per event type from the orders stream to the bus, with a dead-letter queue', () => {
    const bus = logicalId('AWS::Events::EventBus', 'OrderEventsBus');
    const orders = logicalId('AWS::DynamoDB::Table', 'OrdersTable');
    const dlq = logicalId('AWS::SQS::Queue', 'OrderEventsDeadLetters');
    const pipes = pipeProperties();

    expect(pipes.map((p) => p.TargetParameters.EventBridgeEventBusParameters).sort((a, b) => a.DetailType.localeCompare(b.DetailType))).toEqual([
      { DetailType: 'OrderCancelled', Source: 'serverless-saga.orders' },
      { DetailType: 'OrderConfirmed', Source: 'serverless-saga.orders' },
    ]);
    for (const pipe of pipes) {
      expect(pipe.Source).toEqual({ 'Fn::GetAtt': [orders, 'StreamArn'] });
      expect(pipe.Target).toEqual({ 'Fn::GetAtt': [bus, 'Arn'] });
      expect(pipe.SourceParameters.DynamoDBStreamParameters).toMatchObject({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } }, MaximumRetryAttempts: 10 });
      expect(() => JSON.parse(pipe.TargetParameters.InputTemplate.replace(/<\$[^>]*>/g, 'x')) as unknown).not.toThrow();
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }] });
  });

  it.each([
    ['PENDING → CONFIRMED', 'MODIFY', 'PENDING', 'CONFIRMED', 'OrderConfirmed'],
    ['PENDING → CANCELLED', 'MODIFY', 'PENDING', 'CANCELLED', 'OrderCancelled'],
    ['CONFIRMED → CANCELLED', 'MODIFY', 'CONFIRMED', 'CANCELLED', 'OrderCancelled'],
    ['a CANCELLED marker written first', 'INSERT', undefined, 'CANCELLED', 'OrderCancelled'],
    ['a new PENDING order', 'INSERT', undefined, 'PENDING', undefined],
    ['CANCELLED written again', 'MODIFY', 'CANCELLED', 'CANCELLED', undefined],
    ['CONFIRMED written again', 'MODIFY', 'CONFIRMED', 'CONFIRMED', undefined],
    ['an order removed', 'REMOVE', 'CONFIRMED', undefined, undefined],
  ])('filters the stream: %s', (_case, eventName, before, after, published) => {
    const record = {
      eventName,
      dynamodb: { ...(before ? { OldImage: { status: { S: before } } } : {}), ...(after ? { NewImage: { status: { S: after } } } : {}) },
    };
    const pipes = pipeProperties();

    const passed = pipes
      .filter((p) => p.SourceParameters.FilterCriteria.Filters.some((f) => matchesEventPattern(f.Pattern, record)))
      .map((p) => p.TargetParameters.EventBridgeEventBusParameters.DetailType);

    expect(passed).toEqual(published ? [published] : []);
  });

  it("lets the pipes' role read only the orders stream and put only on its bus", () => {
    const actions = actionsOf('OrderEventsPipeRole');

    expect(actions).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'events:PutEvents', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    const puts = statementsOf('OrderEventsPipeRole').find((s) => [s.Action].flat().includes('events:PutEvents'))!;
    expect(puts.Resource).toEqual({ 'Fn::GetAtt': [logicalId('AWS::Events::EventBus', 'OrderEventsBus'), 'Arn'] });
    const reads = statementsOf('OrderEventsPipeRole').find((s) => [s.Action].flat().includes('dynamodb:GetRecords'))!;
    expect(reads.Resource).toEqual({ 'Fn::GetAtt': [logicalId('AWS::DynamoDB::Table', 'OrdersTable'), 'StreamArn'] });
  });

  it('registers the versioned JSON Schema, the same as the file consumers read', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'schemas', 'order-events', 'v1.json'), 'utf8')) as unknown;
    const [, schema] = only('AWS::EventSchemas::Schema');

    expect(file).toEqual(orderEventJsonSchema());
    expect(schema.Properties.Type).toBe('JSONSchemaDraft4');
    expect(JSON.parse(schema.Properties.Content as string)).toEqual(file);
  });

  it('refuses an orders table without a stream', () => {
    const host = new Stack(new App(), 'NoStream');
    const table = new dynamodb.Table(host, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });

    expect(() => new OrderEvents(host, 'Events', { ordersTable: table })).toThrow(/has no stream/);
  });
});
