import type { CfnResource } from './cloud-assembly';
import { InvalidEventPatternError, InvalidEventRuleError, InvalidTargetInputError, UnsupportedEventRuleError } from './event-errors';
import { compileEventPattern, type CompiledEventPattern, type EventPattern } from './event-pattern';
import { parseEventPath, RESERVED_TEMPLATE_VARIABLES, type InputTransformer, type TargetInputSpec } from './event-target-input';
import { resolveIntrinsics, type LocalNames } from './intrinsics';
import type { LocalStack } from './local-stack';

/** The target kinds the local runtime serves. */
export type EventTargetKind = 'state-machine' | 'lambda-function' | 'sqs-queue';

/** A rule's retry policy for a target (`RetryPolicy`), with AWS's defaults filled in. */
export interface EventRetryPolicy {
  /** @default 185 (AWS's default; the local bus caps it, see `LocalEventBusProps.maxRetries`) */
  readonly maximumRetryAttempts: number;
  /** @default 86400 */
  readonly maximumEventAgeInSeconds: number;
}

/** A target of a rule, resolved to local ARNs. */
export interface LocalEventTarget extends TargetInputSpec {
  /** The target's `Id`, unique in its rule. */
  readonly id: string;
  readonly arn: string;
  readonly kind: EventTargetKind;
  /** The role EventBridge would assume (not enforced locally). @default - none */
  readonly roleArn?: string;
  /** The SQS queue the event goes to when every attempt failed. @default - none: the event is dropped */
  readonly deadLetterArn?: string;
  readonly retryPolicy: EventRetryPolicy;
  /** `SqsParameters.MessageGroupId`, for a FIFO queue. @default - none */
  readonly messageGroupId?: string;
}

/** The `State` of a rule. */
export type EventRuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** An `AWS::Events::Rule` of the template, resolved to local names and ARNs, with its pattern compiled. */
export interface LocalEventRule {
  readonly logicalId: string;
  /** `Name`, or the logical id (as the local runtime names every resource without an explicit name). */
  readonly name: string;
  readonly arn: string;
  /** The event bus's name. @default 'default' */
  readonly eventBusName: string;
  readonly state: EventRuleState;
  /** False for a DISABLED rule: it never fires. */
  readonly enabled: boolean;
  /** The pattern as written in the template (parsed when CloudFormation held it as JSON text). */
  readonly eventPattern: EventPattern;
  /** The pattern, compiled for matching. */
  readonly pattern: CompiledEventPattern;
  readonly targets: readonly LocalEventTarget[];
}

/** Options of {@link resolveEventRules}. */
export interface ResolveEventRulesOptions {
  /** How `Ref` and `Fn::GetAtt` resolve; {@link localNamesFromStack} builds one from a `LocalStack`. */
  readonly names: LocalNames;
  /**
   * Whether a target ARN is a resource the runtime can deliver to. A target that is not is refused by name.
   * @default - every ARN of a served kind, in this account and region
   */
  readonly targetExists?: (arn: string, kind: EventTargetKind) => boolean;
}

const EVENTS_RULE = 'AWS::Events::Rule';
const EVENTS_BUS = 'AWS::Events::EventBus';
const MAX_TARGETS = 5;
const UNSUPPORTED_TARGET_PARAMETERS = [
  'AppSyncParameters',
  'BatchParameters',
  'EcsParameters',
  'HttpParameters',
  'KinesisParameters',
  'RedshiftDataParameters',
  'RunCommandParameters',
  'SageMakerPipelineParameters',
];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function physicalName(resource: CfnResource | undefined, property: string, logicalId: string): string {
  const explicit = resource?.Properties?.[property];
  return typeof explicit === 'string' ? explicit : logicalId;
}

/**
 * Adds EventBridge resources to a resolver of names: `Ref` of an event bus is its name, of a rule its name
 * (`bus|name` on a custom bus, as CloudFormation answers); `Fn::GetAtt …Arn` and `…Name` of both. Other resources
 * are left to `base`.
 *
 * @example
 * const names = withEventResourceNames(baseNames, template.Resources);
 * resolveIntrinsics({ 'Fn::GetAtt': ['OrdersBus', 'Arn'] }, names); // 'arn:aws:events:us-east-1:000000000000:event-bus/OrdersBus'
 */
export function withEventResourceNames(base: LocalNames, resources: Readonly<Record<string, CfnResource>>): LocalNames {
  const busName = (logicalId: string) => physicalName(resources[logicalId], 'Name', logicalId);
  const ruleBus = (logicalId: string): string => {
    const bus = resources[logicalId]?.Properties?.EventBusName;
    if (bus === undefined) return 'default';
    const resolved = String(resolveIntrinsics(bus, names, logicalId));
    return resolved.startsWith('arn:') ? resolved.slice(resolved.indexOf('event-bus/') + 'event-bus/'.length) : resolved;
  };
  const arnOf = (logicalId: string): string | undefined => {
    const prefix = `arn:aws:events:${base.region}:${base.accountId}`;
    switch (resources[logicalId]?.Type) {
      case EVENTS_BUS:
        return `${prefix}:event-bus/${busName(logicalId)}`;
      case EVENTS_RULE: {
        const bus = ruleBus(logicalId);
        const name = physicalName(resources[logicalId], 'Name', logicalId);
        return bus === 'default' ? `${prefix}:rule/${name}` : `${prefix}:rule/${bus}/${name}`;
      }
      default:
        return undefined;
    }
  };
  const names: LocalNames = {
    region: base.region,
    accountId: base.accountId,
    stackName: base.stackName,
    ref(logicalId) {
      switch (resources[logicalId]?.Type) {
        case EVENTS_BUS:
          return busName(logicalId);
        case EVENTS_RULE: {
          const bus = ruleBus(logicalId);
          const name = physicalName(resources[logicalId], 'Name', logicalId);
          return bus === 'default' ? name : `${bus}|${name}`;
        }
        default:
          return base.ref(logicalId);
      }
    },
    getAtt(logicalId, attribute) {
      const type = resources[logicalId]?.Type;
      if (type === EVENTS_BUS || type === EVENTS_RULE) {
        if (attribute === 'Arn') return arnOf(logicalId);
        if (attribute === 'Name') return type === EVENTS_BUS ? busName(logicalId) : physicalName(resources[logicalId], 'Name', logicalId);
        return undefined;
      }
      return base.getAtt(logicalId, attribute);
    },
  };
  return names;
}

/**
 * A resolver of names built from a {@link LocalStack}: its state machines, functions and queues answer `Ref` and
 * `Fn::GetAtt` (`Arn`, `Name`, `QueueUrl`, `QueueName`) as the local stack named them; IAM roles answer their ARN;
 * any other resource's `Ref` is its logical id. EventBridge resources are added by {@link resolveEventRules}.
 *
 * @example
 * const rules = resolveEventRules(template.Resources, { names: localNamesFromStack(runtime.stack, template.Resources) });
 */
export function localNamesFromStack(stack: LocalStack, resources: Readonly<Record<string, CfnResource>>): LocalNames {
  const machines = new Map(stack.stateMachines.map((m) => [m.logicalId, m]));
  const functions = new Map(stack.functions.map((f) => [f.logicalId, f]));
  const queues = new Map(stack.queues.map((q) => [q.logicalId, q]));
  return {
    region: stack.region,
    accountId: stack.accountId,
    stackName: stack.stackName,
    ref(logicalId) {
      if (!resources[logicalId]) return undefined;
      return machines.get(logicalId)?.arn ?? functions.get(logicalId)?.name ?? queues.get(logicalId)?.url ?? physicalNameOf(resources[logicalId], logicalId);
    },
    getAtt(logicalId, attribute) {
      const resource = resources[logicalId];
      if (!resource) return undefined;
      const local = machines.get(logicalId) ?? functions.get(logicalId) ?? queues.get(logicalId);
      if (local) {
        if (attribute === 'Arn') return local.arn;
        if (attribute === 'Name' || attribute === 'QueueName') return local.name;
        if (attribute === 'QueueUrl' && 'url' in local) return local.url;
        return undefined;
      }
      if (resource.Type === 'AWS::IAM::Role' && attribute === 'Arn') return `arn:aws:iam::${stack.accountId}:role/${physicalName(resource, 'RoleName', logicalId)}`;
      return undefined;
    },
  };
}

function physicalNameOf(resource: CfnResource, logicalId: string): string {
  const property = { 'AWS::IAM::Role': 'RoleName', 'AWS::DynamoDB::Table': 'TableName', 'AWS::Logs::LogGroup': 'LogGroupName' }[resource.Type];
  return property ? physicalName(resource, property, logicalId) : logicalId;
}

interface ParsedArn {
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(':') };
}

/** The kind of a target ARN, or a description of why it is not served. */
function targetKind(arn: string): EventTargetKind | { unsupported: string } {
  const parsed = parseArn(arn);
  if (!parsed) return { unsupported: `"${arn}" is not an ARN` };
  const { service, resource } = parsed;
  if (service === 'states') {
    if (/^stateMachine:[^:]+$/.test(resource)) return 'state-machine';
    return { unsupported: `Step Functions resource "${resource}" (only a state machine, without a version or alias, is served)` };
  }
  if (service === 'lambda') {
    if (/^function:[^:]+$/.test(resource)) return 'lambda-function';
    return { unsupported: `Lambda resource "${resource}" (only an unqualified function is served: versions and aliases are not emulated)` };
  }
  if (service === 'sqs') return 'sqs-queue';
  const described = service === 'events' ? `EventBridge ${resource.split('/')[0]} (${resource})` : `a ${service} target`;
  return { unsupported: `${described} (the local runtime serves state machines, Lambda functions and SQS queues)` };
}

function unsupported(logicalId: string, feature: string, why: string): never {
  throw new UnsupportedEventRuleError(`rule ${logicalId}: ${feature} is not emulated locally: ${why}`, logicalId, feature);
}

function invalid(logicalId: string, why: string, cause?: unknown): never {
  throw new InvalidEventRuleError(`rule ${logicalId}: ${why}`, logicalId, cause === undefined ? undefined : { cause });
}

function optionalString(value: unknown, logicalId: string, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(logicalId, `${what} must be a string, not ${JSON.stringify(value)}`);
  return value;
}

function assertLocal(logicalId: string, feature: string, arn: string, names: LocalNames): void {
  const parsed = parseArn(arn);
  if (parsed && (parsed.account !== names.accountId || parsed.region !== names.region)) {
    unsupported(logicalId, feature, `${arn} is in account ${parsed.account}, region ${parsed.region}; the local stack is ${names.accountId}, ${names.region}`);
  }
}

function eventBusName(value: unknown, logicalId: string, names: LocalNames): string {
  const bus = optionalString(value, logicalId, 'EventBusName');
  if (bus === undefined) return 'default';
  if (!bus.startsWith('arn:')) return bus;
  assertLocal(logicalId, 'EventBusName', bus, names);
  const resource = parseArn(bus)?.resource ?? '';
  if (!resource.startsWith('event-bus/')) invalid(logicalId, `EventBusName ${bus} is not an event bus ARN`);
  return resource.slice('event-bus/'.length);
}

function retryPolicy(value: unknown, logicalId: string, at: string): EventRetryPolicy {
  const policy = isObject(value) ? value : {};
  if (value !== undefined && !isObject(value)) invalid(logicalId, `${at}.RetryPolicy must be an object`);
  const attempts = policy.MaximumRetryAttempts === undefined ? 185 : Number(policy.MaximumRetryAttempts);
  const age = policy.MaximumEventAgeInSeconds === undefined ? 86_400 : Number(policy.MaximumEventAgeInSeconds);
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 185) invalid(logicalId, `${at}.RetryPolicy.MaximumRetryAttempts must be 0-185, not ${String(policy.MaximumRetryAttempts)}`);
  if (!Number.isInteger(age) || age < 60 || age > 86_400) invalid(logicalId, `${at}.RetryPolicy.MaximumEventAgeInSeconds must be 60-86400, not ${String(policy.MaximumEventAgeInSeconds)}`);
  return { maximumRetryAttempts: attempts, maximumEventAgeInSeconds: age };
}

function inputTransformer(value: unknown, logicalId: string, at: string): InputTransformer {
  if (!isObject(value)) return invalid(logicalId, `${at}.InputTransformer must be an object`);
  const template = value.InputTemplate;
  if (typeof template !== 'string') invalid(logicalId, `${at}.InputTransformer.InputTemplate must be a string`);
  const map = value.InputPathsMap ?? {};
  if (!isObject(map)) invalid(logicalId, `${at}.InputTransformer.InputPathsMap must be an object`);
  const entries = Object.entries(map);
  if (entries.length > 100) invalid(logicalId, `${at}.InputTransformer.InputPathsMap has ${entries.length} variables (at most 100)`);
  const inputPathsMap: Record<string, string> = {};
  for (const [name, path] of entries) {
    if ((RESERVED_TEMPLATE_VARIABLES as readonly string[]).includes(name) || name.startsWith('aws.')) {
      invalid(logicalId, `${at}.InputTransformer.InputPathsMap uses the reserved variable name ${name}`);
    }
    if (typeof path !== 'string') invalid(logicalId, `${at}.InputTransformer.InputPathsMap.${name} must be a JSONPath string`);
    checkPath(path, logicalId, `${at}.InputTransformer.InputPathsMap.${name}`);
    inputPathsMap[name] = path;
  }
  return { inputPathsMap, inputTemplate: template };
}

function checkPath(path: string, logicalId: string, at: string): void {
  try {
    parseEventPath(path);
  } catch (err: unknown) {
    if (err instanceof InvalidTargetInputError) unsupported(logicalId, at, err.message);
    throw err;
  }
}

function resolveTarget(raw: unknown, index: number, logicalId: string, options: ResolveEventRulesOptions): LocalEventTarget {
  const at = `Targets[${index}]`;
  if (!isObject(raw)) return invalid(logicalId, `${at} must be an object`);
  const id = optionalString(raw.Id, logicalId, `${at}.Id`);
  const arn = optionalString(raw.Arn, logicalId, `${at}.Arn`);
  if (!id || !arn) invalid(logicalId, `${at} needs an Id and an Arn`);

  for (const parameter of UNSUPPORTED_TARGET_PARAMETERS) if (raw[parameter] !== undefined) unsupported(logicalId, `${at}.${parameter}`, 'only state machine, Lambda and SQS targets are served');
  const kind = targetKind(arn);
  if (typeof kind !== 'string') return unsupported(logicalId, `${at}.Arn`, kind.unsupported);
  assertLocal(logicalId, `${at}.Arn`, arn, options.names);
  if (options.targetExists && !options.targetExists(arn, kind)) unsupported(logicalId, `${at}.Arn`, `${arn} is not a ${kind} of the local stack`);

  const given = ['Input', 'InputPath', 'InputTransformer'].filter((key) => raw[key] !== undefined);
  if (given.length > 1) invalid(logicalId, `${at} sets ${given.join(' and ')}; at most one of Input, InputPath, InputTransformer`);
  const input = optionalString(raw.Input, logicalId, `${at}.Input`);
  if (input !== undefined) {
    try {
      JSON.parse(input);
    } catch (err: unknown) {
      invalid(logicalId, `${at}.Input is not valid JSON`, err);
    }
  }
  const inputPath = optionalString(raw.InputPath, logicalId, `${at}.InputPath`);
  if (inputPath !== undefined) checkPath(inputPath, logicalId, `${at}.InputPath`);

  let deadLetterArn: string | undefined;
  if (raw.DeadLetterConfig !== undefined) {
    deadLetterArn = optionalString(isObject(raw.DeadLetterConfig) ? raw.DeadLetterConfig.Arn : undefined, logicalId, `${at}.DeadLetterConfig.Arn`);
    if (deadLetterArn === undefined || targetKind(deadLetterArn) !== 'sqs-queue') invalid(logicalId, `${at}.DeadLetterConfig.Arn must be an SQS queue ARN`);
    assertLocal(logicalId, `${at}.DeadLetterConfig.Arn`, deadLetterArn, options.names);
  }

  let messageGroupId: string | undefined;
  if (raw.SqsParameters !== undefined) {
    if (kind !== 'sqs-queue') invalid(logicalId, `${at}.SqsParameters is only for an SQS queue target`);
    messageGroupId = optionalString(isObject(raw.SqsParameters) ? raw.SqsParameters.MessageGroupId : undefined, logicalId, `${at}.SqsParameters.MessageGroupId`);
  }

  return {
    id,
    arn,
    kind,
    roleArn: optionalString(raw.RoleArn, logicalId, `${at}.RoleArn`),
    ...(input !== undefined ? { input } : {}),
    ...(inputPath !== undefined ? { inputPath } : {}),
    ...(raw.InputTransformer !== undefined ? { inputTransformer: inputTransformer(raw.InputTransformer, logicalId, at) } : {}),
    deadLetterArn,
    retryPolicy: retryPolicy(raw.RetryPolicy, logicalId, at),
    messageGroupId,
  };
}

function resolveRule(logicalId: string, resource: CfnResource, options: ResolveEventRulesOptions): LocalEventRule {
  const properties = resolveIntrinsics(resource.Properties ?? {}, options.names, logicalId) as Record<string, unknown>;
  if (properties.ScheduleExpression !== undefined) unsupported(logicalId, 'ScheduleExpression', `scheduled rules (${JSON.stringify(properties.ScheduleExpression)}) do not fire locally`);
  if (properties.EventPattern === undefined) invalid(logicalId, 'has neither EventPattern nor ScheduleExpression');

  const state = (properties.State ?? 'ENABLED') as EventRuleState;
  if (!['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'].includes(state)) invalid(logicalId, `State ${String(properties.State)} is not ENABLED or DISABLED`);

  let pattern: CompiledEventPattern;
  try {
    pattern = compileEventPattern(properties.EventPattern as EventPattern | string);
  } catch (err: unknown) {
    if (err instanceof InvalidEventPatternError) invalid(logicalId, err.message, err);
    throw err;
  }

  const rawTargets = properties.Targets ?? [];
  if (!Array.isArray(rawTargets)) invalid(logicalId, 'Targets must be a list');
  if (rawTargets.length > MAX_TARGETS) invalid(logicalId, `has ${rawTargets.length} targets (at most ${MAX_TARGETS} per rule)`);
  const targets = (rawTargets as unknown[]).map((t, i) => resolveTarget(t, i, logicalId, options));
  const ids = targets.map((t) => t.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) invalid(logicalId, `has two targets with Id ${duplicate}`);

  const eventBus = eventBusName(properties.EventBusName, logicalId, options.names);
  const name = optionalString(properties.Name, logicalId, 'Name') ?? logicalId;
  const prefix = `arn:aws:events:${options.names.region}:${options.names.accountId}`;
  return {
    logicalId,
    name,
    arn: eventBus === 'default' ? `${prefix}:rule/${name}` : `${prefix}:rule/${eventBus}/${name}`,
    eventBusName: eventBus,
    state,
    enabled: state !== 'DISABLED',
    eventPattern: pattern.pattern,
    pattern,
    targets,
  };
}

/**
 * Reads the template's `AWS::Events::Rule` resources into {@link LocalEventRule}s: intrinsic functions resolved to
 * local names and ARNs, the event pattern (an object, or JSON text) validated and compiled, the targets classified.
 *
 * Refuses, by name, what it cannot emulate ({@link UnsupportedEventRuleError}: a `ScheduleExpression`, a target that
 * is not a state machine, a Lambda function or an SQS queue, target parameters for other kinds, an event bus or
 * target in another account or region, an `InputPath` that is not a simple path) and what AWS would reject
 * ({@link InvalidEventRuleError}: an invalid pattern, `Input` that is not JSON, two input options on one target,
 * more than five targets…). Nothing is silently skipped.
 *
 * @example
 * const stack = await loadSynthesizedStack();
 * const local = resolveLocalStack(stack);
 * const rules = resolveEventRules(stack.template.Resources, {
 *   names: localNamesFromStack(local, stack.template.Resources),
 *   targetExists: (arn) => [...local.stateMachines, ...local.functions, ...local.queues].some((r) => r.arn === arn),
 * });
 */
export function resolveEventRules(resources: Readonly<Record<string, CfnResource>>, options: ResolveEventRulesOptions): LocalEventRule[] {
  const names = withEventResourceNames(options.names, resources);
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === EVENTS_RULE)
    .map(([logicalId, resource]) => resolveRule(logicalId, resource, { ...options, names }));
}
