import { RemovalPolicy } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** The stack's name when no stage is given: the name every earlier deploy used. */
export const BaseStackName = 'ServerlessSaga';

/** What `cdk synth` / `cdk deploy` build, from the app's context (`-c stage=dev`, cdk.json). */
export interface DeploymentSettings {
  /** The stage, when one was given: `dev`, `test`, `prod`, … @default - none */
  readonly stage?: string;
  /** `ServerlessSaga`, or `ServerlessSaga-<stage>`: each stage is a stack of its own, with its own tables. */
  readonly stackName: string;
  /** What happens to the tables and the compensation-failures queue when the stack is deleted. */
  readonly dataRemovalPolicy: RemovalPolicy;
  /** The state machines' log level. */
  readonly logLevel: sfn.LogLevel;
  /** Whether the logs carry inputs and outputs (the orders, addresses included). */
  readonly logExecutionData: boolean;
  /** Who the alarms email, through the stack's SNS topic. @default - nobody yet: subscribe to the topic */
  readonly alarmEmail?: string;
  readonly faultInjection: boolean;
  readonly sequential: boolean;
}

/** The stages whose data outlives the stack and whose logs leave execution data out, unless told otherwise. */
const ProductionStages = ['prod', 'production'];
const STAGE = /^[a-z][a-z0-9-]{0,19}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** OFF is refused: the SagaCompensationFailed alarm counts the ExecutionFailed events of the log. */
const LOG_LEVELS: Record<string, sfn.LogLevel> = { ALL: sfn.LogLevel.ALL, ERROR: sfn.LogLevel.ERROR, FATAL: sfn.LogLevel.FATAL };

/**
 * Reads the deployment from context values (`-c name=value` arrives as a string; cdk.json may hold booleans):
 *
 * | context | default |
 * | --- | --- |
 * | `stage` | none: the stack `ServerlessSaga`; otherwise `ServerlessSaga-<stage>` (lower-case letters, digits, `-`) |
 * | `retainData` | `true` without a stage and for `prod`; `false` (destroyed with the stack) for any other stage |
 * | `logLevel` | `ERROR` for `prod`, `ALL` otherwise (`ALL`, `ERROR` or `FATAL`) |
 * | `logExecutionData` | `false` for `prod`, `true` otherwise |
 * | `alarmEmail` | none |
 * | `faultInjection`, `sequential` | `false` |
 *
 * Throws, naming the value, on anything else.
 *
 * @example
 * deploymentSettings((name) => app.node.tryGetContext(name));
 */
export function deploymentSettings(context: (name: string) => unknown): DeploymentSettings {
  const text = (name: string): string | undefined => {
    const value = context(name);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'boolean') throw new Error(`context ${name} must be a string, got ${JSON.stringify(value)}`);
    return String(value);
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = text(name);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') throw new Error(`context ${name} must be true or false, got '${value}'`);
    return value === 'true';
  };

  const stage = text('stage');
  if (stage !== undefined && !STAGE.test(stage)) {
    throw new Error(`context stage '${stage}' must be 1-20 lower-case letters, digits or hyphens, starting with a letter (it names the stack)`);
  }
  const keepsData = stage === undefined || ProductionStages.includes(stage);
  const prod = stage !== undefined && ProductionStages.includes(stage);
  const level = text('logLevel') ?? (prod ? 'ERROR' : 'ALL');
  const logLevel = LOG_LEVELS[level.toUpperCase()];
  if (!logLevel) {
    throw new Error(`context logLevel '${level}' must be ALL, ERROR or FATAL (not OFF: the SagaCompensationFailed alarm reads the ExecutionFailed events of the log)`);
  }
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) throw new Error(`context alarmEmail '${alarmEmail}' is not an email address`);

  return {
    stage,
    stackName: stage === undefined ? BaseStackName : `${BaseStackName}-${stage}`,
    dataRemovalPolicy: flag('retainData', keepsData) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logLevel,
    logExecutionData: flag('logExecutionData', !prod),
    alarmEmail,
    faultInjection: flag('faultInjection', false),
    sequential: flag('sequential', false),
  };
}
