import { randomUUID } from 'node:crypto';
import { TaskError, type TaskHandler } from './engine';
import type { LambdaPool } from './lambda-pool';
import type { LocalQueues } from './local-queues';

/** The Task resources the local runtime serves, by kind. */
export type TaskKind = 'lambda:invoke' | 'lambda-arn' | 'sqs:sendMessage' | 'sfn:describeExecution';

/** What kind of local implementation a Task resource has, if any. */
export function taskKind(resource: string): TaskKind | undefined {
  if (/^arn:aws[a-z-]*:states:::aws-sdk:sfn:describeExecution$/.test(resource)) return 'sfn:describeExecution';
  if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) return 'lambda:invoke';
  if (/^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:/.test(resource)) return 'lambda-arn';
  if (/^arn:aws[a-z-]*:states:::sqs:sendMessage$/.test(resource)) return 'sqs:sendMessage';
  return undefined;
}

/** What the served resources call into. */
export interface TaskServices {
  readonly pool: LambdaPool;
  readonly queues: LocalQueues;
  /** `DescribeExecution` of a local execution (throws `TaskError` when there is none). */
  describeExecution(executionArn: string): Record<string, unknown>;
}

/**
 * The local implementations of Task resources, one handler per resource (made once, then reused). A Lambda
 * function's failure reaches the engine as a `LambdaInvocationFailure`, whose `name` is the function's error type
 * and whose message is the JSON cause Step Functions reports.
 */
export class LocalTaskHandlers {
  private readonly byResource = new Map<string, TaskHandler>();

  constructor(private readonly services: TaskServices) {}

  /** The handler of a resource; undefined when the runtime does not serve it. */
  handler(resource: string): TaskHandler | undefined {
    let handler = this.byResource.get(resource);
    if (!handler) {
      handler = this.make(resource);
      if (handler) this.byResource.set(resource, handler);
    }
    return handler;
  }

  private make(resource: string): TaskHandler | undefined {
    const { pool, queues } = this.services;
    switch (taskKind(resource)) {
      case 'lambda:invoke':
        return async (input, context) => {
          const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
          if (typeof FunctionName !== 'string' || FunctionName === '') {
            throw new TaskError('States.Runtime', `state ${context.stateName}: lambda:invoke needs a FunctionName`);
          }
          // The context pauses the Task's TimeoutSeconds while the invocation waits for a free execution environment.
          const payload = await pool.invoke(FunctionName, Payload ?? {}, context);
          return {
            ExecutedVersion: '$LATEST',
            Payload: payload,
            SdkHttpMetadata: { HttpStatusCode: 200 },
            SdkResponseMetadata: { RequestId: randomUUID() },
            StatusCode: 200,
          };
        };
      case 'lambda-arn':
        return (input, context) => pool.invoke(resource, input, context);
      case 'sfn:describeExecution':
        return (input, context) => {
          const { ExecutionArn } = (input ?? {}) as { ExecutionArn?: unknown };
          if (typeof ExecutionArn !== 'string') {
            throw new TaskError('Sfn.ValidationException', `state ${context.stateName}: describeExecution needs an ExecutionArn`);
          }
          return Promise.resolve(this.services.describeExecution(ExecutionArn));
        };
      case 'sqs:sendMessage':
        return (input) => {
          const { QueueUrl, MessageBody } = (input ?? {}) as { QueueUrl?: unknown; MessageBody?: unknown };
          return Promise.resolve(queues.send(String(QueueUrl), MessageBody));
        };
      default:
        return undefined;
    }
  }
}
