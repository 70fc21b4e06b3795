import { resolveRestApi } from '../../local/api-gateway';
import { UnsupportedApiError } from '../../local/api-errors';
import type { CfnResource } from '../../local/cloud-assembly';
import { InvalidPipeError, UnsupportedPipeError } from '../../local/event-errors';
import type { LocalStack } from '../../local/local-stack';
import { pipeInputText, resolvePipes, type StreamRecordEvent } from '../../local/pipes';

const table: CfnResource = { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } };
const bus: CfnResource = { Type: 'AWS::Events::EventBus', Properties: { Name: 'order-events' } };
const pipe = (properties: Record<string, unknown>): Record<string, CfnResource> => ({
  Orders: table,
  Bus: bus,
  Queue: { Type: 'AWS::SQS::Queue' },
  Pipe: {
    Type: 'AWS::Pipes::Pipe',
    Properties: {
      Source: { 'Fn::GetAtt': ['Orders', 'StreamArn'] },
      Target: { 'Fn::GetAtt': ['Bus', 'Arn'] },
      TargetParameters: { EventBridgeEventBusParameters: { DetailType: 'OrderConfirmed', Source: 'shop.orders' } },
      ...properties,
    },
  },
});

describe('resolvePipes', () => {
  it('reads a stream-to-bus pipe: its table, filters, template and event type', () => {
    const [resolved] = resolvePipes(
      pipe({ SourceParameters: { FilterCriteria: { Filters: [{ Pattern: '{"eventName":["MODIFY"]}' }] } }, TargetParameters: { InputTemplate: '{"id": "<$.eventID>"}', EventBridgeEventBusParameters: { DetailType: 'OrderConfirmed', Source: 'shop.orders' } } }),
      'us-east-1',
      '000000000000',
    );

    expect(resolved).toMatchObject({ sourceTable: 'orders', targetBus: 'order-events', detailType: 'OrderConfirmed', source: 'shop.orders', startingPosition: 'LATEST' });
    expect(resolved.filters.map((f) => f.matches({ eventName: 'MODIFY' }))).toEqual([true]);
  });

  it.each([
    ['an enrichment', { Enrichment: 'arn:aws:lambda:us-east-1:000000000000:function:f' }, 'Enrichment'],
    ['a queue source', { Source: { 'Fn::GetAtt': ['Queue', 'Arn'] } }, 'Source'],
    ['a queue target', { Target: { 'Fn::GetAtt': ['Queue', 'Arn'] } }, 'Target'],
    ['a dynamic detail type', { TargetParameters: { EventBridgeEventBusParameters: { DetailType: '$.dynamodb.NewImage.status.S' } } }, 'EventBridgeEventBusParameters.DetailType'],
    ['a global endpoint', { TargetParameters: { EventBridgeEventBusParameters: { EndpointId: 'abc.veo' } } }, 'EventBridgeEventBusParameters.EndpointId'],
    ['Kinesis parameters', { SourceParameters: { KinesisStreamParameters: {} } }, 'SourceParameters.KinesisStreamParameters'],
  ])('refuses %s by name', (_case, properties, feature) => {
    expect(() => resolvePipes(pipe(properties), 'us-east-1', '000000000000')).toThrow(UnsupportedPipeError);
    try {
      resolvePipes(pipe(properties), 'us-east-1', '000000000000');
    } catch (err: unknown) {
      expect(err instanceof UnsupportedPipeError && [err.logicalId, err.feature]).toEqual(['Pipe', feature]);
    }
  });

  it('refuses a filter AWS would refuse too', () => {
    expect(() => resolvePipes(pipe({ SourceParameters: { FilterCriteria: { Filters: [{ Pattern: '{"eventName":"MODIFY"}' }] } } }), 'us-east-1', '000000000000')).toThrow(InvalidPipeError);
  });

  it('does not run a stopped pipe', () => {
    expect(resolvePipes(pipe({ DesiredState: 'STOPPED' }), 'us-east-1', '000000000000')).toEqual([]);
  });
});

describe('pipeInputText', () => {
  const record: StreamRecordEvent = {
    eventID: 'e-1',
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: { NewImage: { orderId: { S: 'ord-1' }, total: { N: '2250' }, items: { L: [{ S: 'a' }] } }, SequenceNumber: '42' },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/x',
  };
  const [resolved] = resolvePipes(pipe({}), 'us-east-1', '000000000000');

  it('fills paths inside strings with their text, outside with their JSON, and the reserved variables', () => {
    const text = pipeInputText(
      {
        ...resolved,
        inputTemplate: '{"id": "<$.dynamodb.NewImage.orderId.S>", "total": "<$.dynamodb.NewImage.total.N>", "items": <$.dynamodb.NewImage.items.L>, "pipe": "<aws.pipes.pipe-name>", "seq": <$.dynamodb.SequenceNumber>}',
      },
      record,
      '2026-01-01T00:00:00Z',
    );

    expect(JSON.parse(text)).toEqual({ id: 'ord-1', total: '2250', items: [{ S: 'a' }], pipe: 'Pipe', seq: '42' });
  });

  it('sends the record itself without a template', () => {
    expect(JSON.parse(pipeInputText(resolved, record, '2026-01-01T00:00:00Z'))).toEqual(record);
  });
});

describe('resolveRestApi', () => {
  const stack = {
    region: 'us-east-1',
    accountId: '000000000000',
    stackName: 'S',
    functions: [{ logicalId: 'Fn', name: 'Fn', arn: 'arn:aws:lambda:us-east-1:000000000000:function:Fn' }],
    stateMachines: [],
    queues: [],
    tables: [],
    outputs: {},
  } as unknown as LocalStack;
  const uri = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '/invocations']] };
  const api = (method: Record<string, unknown>, pathPart = '{id}'): Record<string, CfnResource> => ({
    Fn: { Type: 'AWS::Lambda::Function' },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'A' } },
    Things: { Type: 'AWS::ApiGateway::Resource', Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'things', RestApiId: { Ref: 'Api' } } },
    Thing: { Type: 'AWS::ApiGateway::Resource', Properties: { ParentId: { Ref: 'Things' }, PathPart: pathPart, RestApiId: { Ref: 'Api' } } },
    Get: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'GET', ResourceId: { Ref: 'Thing' }, RestApiId: { Ref: 'Api' }, AuthorizationType: 'AWS_IAM', Integration: { Type: 'AWS_PROXY', Uri: uri }, ...method } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' } },
  });

  it('reads the routes, their functions and the stage', () => {
    expect(resolveRestApi(api({}), stack)).toEqual({
      logicalId: 'Api',
      stageName: 'v1',
      routes: [{ logicalId: 'Get', httpMethod: 'GET', resourcePath: '/things/{id}', authorizationType: 'AWS_IAM', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Fn' }],
    });
  });

  it.each([
    ['a DynamoDB service integration', { Integration: { Type: 'AWS', Uri: 'arn:aws:apigateway:us-east-1:dynamodb:action/GetItem' } }, 'Integration.Type AWS'],
    ['a mock integration', { Integration: { Type: 'MOCK' } }, 'Integration.Type MOCK'],
    ['a custom authorizer', { AuthorizationType: 'CUSTOM' }, 'AuthorizationType CUSTOM'],
    ['an API key', { ApiKeyRequired: true }, 'ApiKeyRequired'],
  ])('refuses %s by name', (_case, method, feature) => {
    try {
      resolveRestApi(api(method), stack);
      throw new Error('not refused');
    } catch (err: unknown) {
      expect(err instanceof UnsupportedApiError && [err.logicalId, err.feature]).toEqual(['Get', feature]);
    }
  });

  it('refuses a greedy path variable by name', () => {
    expect(() => resolveRestApi(api({}, '{proxy+}'), stack)).toThrow(/greedy path variable \{proxy\+\}/);
  });
});
