import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnResource, SynthesizedStack } from './cloud-assembly';
import { resolveIntrinsics, UnresolvableTemplateError, type LocalNames } from './intrinsics';

/** A Lambda function as the local runtime runs it. */
export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The bundled handler file in the cloud assembly. */
  readonly entry: string;
  /** The exported handler name (`handler` of `index.handler`). */
  readonly handlerExport: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface LocalQueue {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface LocalStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The ASL definition, with every token resolved to local names. */
  readonly definition: Record<string, unknown>;
}

/** A synthesized stack resolved to local names: what the local runtime creates and runs. */
export interface LocalStack {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly tables: readonly CreateTableCommandInput[];
  readonly functions: readonly LocalFunction[];
  readonly queues: readonly LocalQueue[];
  readonly stateMachines: readonly LocalStateMachine[];
  /** The stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, string>>;
}

export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * Resolves a synthesized stack to local names and ARNs: tables, functions (with their bundled code), queues and
 * state machines. Physical names are the template's explicit names, or else the logical ids.
 */
export function resolveLocalStack(stack: SynthesizedStack, region = 'us-east-1'): LocalStack {
  const resources = stack.template.Resources;
  const accountId = LOCAL_ACCOUNT_ID;
  const physicalName = (logicalId: string, property: string): string => {
    const explicit = resources[logicalId]?.Properties?.[property];
    return typeof explicit === 'string' ? explicit : logicalId;
  };
  const arnOf = (logicalId: string): string | undefined => {
    const type = resources[logicalId]?.Type;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${accountId}:table/${physicalName(logicalId, 'TableName')}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${accountId}:function:${physicalName(logicalId, 'FunctionName')}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${accountId}:${physicalName(logicalId, 'QueueName')}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${accountId}:stateMachine:${physicalName(logicalId, 'StateMachineName')}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${accountId}:log-group:${physicalName(logicalId, 'LogGroupName')}:*`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountId}:role/${physicalName(logicalId, 'RoleName')}`;
      default:
        return undefined;
    }
  };
  const names: LocalNames = {
    region,
    accountId,
    stackName: stack.stackName,
    ref(logicalId) {
      const type = resources[logicalId]?.Type;
      if (!type) return undefined;
      if (type === 'AWS::SQS::Queue') return `http://sqs.${region}.localhost/${accountId}/${physicalName(logicalId, 'QueueName')}`;
      if (type === 'AWS::StepFunctions::StateMachine') return arnOf(logicalId);
      const property = { 'AWS::DynamoDB::Table': 'TableName', 'AWS::Lambda::Function': 'FunctionName', 'AWS::Logs::LogGroup': 'LogGroupName', 'AWS::IAM::Role': 'RoleName', 'AWS::Events::EventBus': 'Name' }[type];
      return property ? physicalName(logicalId, property) : logicalId;
    },
    getAtt(logicalId, attribute) {
      if (!resources[logicalId]) return undefined;
      if (attribute === 'Arn') return arnOf(logicalId);
      if (attribute === 'QueueName') return physicalName(logicalId, 'QueueName');
      if (attribute === 'QueueUrl') return names.ref(logicalId);
      if (attribute === 'Name') return physicalName(logicalId, 'StateMachineName');
      return undefined;
    },
  };
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const props = (logicalId: string, r: CfnResource) => (resolveIntrinsics(r.Properties ?? {}, names, logicalId) as Record<string, unknown>);

  const tables = of('AWS::DynamoDB::Table').map(([logicalId, r]): CreateTableCommandInput => {
    const p = props(logicalId, r) as Record<string, never>;
    const onDemand = p.BillingMode === 'PAY_PER_REQUEST';
    return {
      TableName: physicalName(logicalId, 'TableName'),
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      ...(onDemand ? { BillingMode: 'PAY_PER_REQUEST' } : { ProvisionedThroughput: p.ProvisionedThroughput ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }),
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
      ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes } : {}),
      // A stream (read locally by the stack's pipes) keeps its view type.
      ...(p.StreamSpecification ? { StreamSpecification: { StreamEnabled: true, StreamViewType: (p.StreamSpecification as { StreamViewType: never }).StreamViewType } } : {}),
    };
  });

  const functions = of('AWS::Lambda::Function').map(([logicalId, r]): LocalFunction => {
    const p = props(logicalId, r);
    const assetPath = r.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      throw new UnresolvableTemplateError(`${logicalId}: no bundled asset (aws:asset:path) in the template; inline or image code is not run locally`);
    }
    const [file, handlerExport] = (typeof p.Handler === 'string' ? p.Handler : 'index.handler').split(/\.(?=[^.]+$)/);
    const dir = join(stack.cdkOut, assetPath);
    const entry = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, file + ext)).find((candidate) => existsSync(candidate));
    if (!entry) throw new UnresolvableTemplateError(`${logicalId}: no ${file}.mjs/.js in ${dir}`);
    const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    return {
      logicalId,
      name: physicalName(logicalId, 'FunctionName'),
      arn: arnOf(logicalId)!,
      entry,
      handlerExport,
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
    };
  });

  const queues = of('AWS::SQS::Queue').map(([logicalId]) => ({
    logicalId,
    name: physicalName(logicalId, 'QueueName'),
    url: names.ref(logicalId)!,
    arn: arnOf(logicalId)!,
  }));

  const stateMachines = of('AWS::StepFunctions::StateMachine').map(([logicalId, r]): LocalStateMachine => {
    const p = r.Properties ?? {};
    let text = p.DefinitionString !== undefined ? String(resolveIntrinsics(p.DefinitionString, names, logicalId)) : JSON.stringify(resolveIntrinsics(p.Definition, names, logicalId));
    const substitutions = resolveIntrinsics(p.DefinitionSubstitutions ?? {}, names, logicalId) as Record<string, unknown>;
    for (const [key, value] of Object.entries(substitutions)) text = text.split(`\${${key}}`).join(String(value));
    return {
      logicalId,
      name: physicalName(logicalId, 'StateMachineName'),
      arn: arnOf(logicalId)!,
      type: p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      definition: JSON.parse(text) as Record<string, unknown>,
    };
  });

  const outputs = Object.fromEntries(
    Object.entries(stack.template.Outputs ?? {}).map(([name, o]) => [name, String(resolveIntrinsics((o as { Value: unknown }).Value, names, `output ${name}`))]),
  );

  return { stackName: stack.stackName, region, accountId, tables, functions, queues, stateMachines, outputs };
}
