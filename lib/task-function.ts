import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';

/** Properties of a {@link TaskFunction}. */
export interface TaskFunctionProps {
  /** The handler file under `lambdas/`, without extension (`reserve-inventory`). */
  readonly handler: string;
  /** Environment variables besides the ones every task function gets. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY - the log group goes with the stack */
  readonly logRemovalPolicy?: RemovalPolicy;
}

const LAMBDAS_DIR = path.join(__dirname, '..', 'lambdas');

/**
 * A saga task's Lambda function: Node.js 22 on arm64, a minified ESM bundle with source maps (the AWS SDK comes
 * from the runtime), structured JSON logs kept for a month, and X-Ray tracing.
 *
 * @example
 * const reserve = new TaskFunction(this, 'ReserveInventoryFunction', {
 *   handler: 'reserve-inventory',
 *   environment: { TABLE_NAME: inventory.tableName },
 * });
 */
export class TaskFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: the function may write only to its own log group.
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(LAMBDAS_DIR, `${props.handler}.ts`),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.handler,
        ...props.environment,
      },
      bundling: {
        // CommonJS: the runtime's AWS SDK is CommonJS, and an ES module importing it has Node scan each of its files
        // for named exports first; a CommonJS bundle requires it directly, which makes cold initialisation about a
        // fifth shorter (bench/cold-start.ts). Dependencies are still read as ES modules (`module` before `main`), so
        // that esbuild can drop what the handler does not use.
        format: nodejs.OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: ['@aws-sdk/*'],
        mainFields: ['module', 'main'],
        logLevel: nodejs.LogLevel.ERROR,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The runtime is pinned to nodejs22.x on purpose, so what is deployed is what the tests run; it is raised with the project, not by the platform.',
    });
  }
}
