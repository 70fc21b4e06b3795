import { CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** A function that undoes (or closes) a step, and the state name it runs under. */
export interface SagaCompensation {
  /** State name, verb + noun (`ReleaseInventory`). */
  readonly name: string;
  /**
   * The function to invoke. It receives `{ sagaId, state, failure? }` (see `Saga`), must be idempotent, and must
   * touch only records owned by `sagaId`.
   */
  readonly function: lambda.IFunction;
}

/** The default retry of compensations: they must eventually succeed, so they retry every error for minutes. */
export const DefaultCompensationRetry: sfn.RetryProps = {
  errors: [sfn.Errors.ALL],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 8,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

export interface CompensationTaskOptions {
  readonly queue: sqs.IQueue;
  readonly retry: sfn.RetryProps;
  /**
   * Errors that say the saga's command is malformed, so no step can have written anything: not retried, and caught
   * to `next` instead of being recorded as a failure.
   * @default - none
   */
  readonly inputErrors?: { readonly errors: readonly string[]; readonly next: sfn.IChainable };
  /**
   * Variables to assign from the function's result when it succeeds (JSONata over `$states.result`).
   * @default - none
   */
  readonly assign?: Record<string, unknown>;
}

/**
 * Adds one compensation to a JSONata state machine that keeps the saga in variables (`$sagaId`, `$command`,
 * `$failure`): a Lambda task invoked with the clean `{ sagaId, state: $command, failure }`, that retries every error,
 * then, if it still fails, records the failure on the queue (`sagaId`, `executionArn` of the recording execution,
 * `step`, `error`, `cause`, the command as `input`, and `failure`) and goes on with `next` either way. It sets
 * `$compensationFailed` for the end of the chain, and appends its outcome to `$compensations` (`ran` with its
 * result, or `failed` with the error and whether the queue has it).
 */
export function compensationTask(scope: Construct, compensation: SagaCompensation, next: sfn.IChainable, options: CompensationTaskOptions): sfn.TaskStateBase {
  const name = JSON.stringify(compensation.name);
  const task = tasks.LambdaInvoke.jsonata(scope, compensation.name, {
    lambdaFunction: compensation.function,
    payload: sfn.TaskInput.fromObject({ sagaId: '{% $sagaId %}', state: '{% $command %}', failure: '{% $failure %}' }),
    assign: {
      ...options.assign,
      compensations: `{% $append($compensations, [{"compensation": ${name}, "outcome": "ran", "result": $states.result.Payload}]) %}`,
    },
    retryOnServiceExceptions: false,
  });
  const record = tasks.SqsSendMessage.jsonata(scope, `Record${compensation.name}Failure`, {
    queue: options.queue,
    messageBody: sfn.TaskInput.fromObject({
      sagaId: '{% $sagaId %}',
      executionArn: '{% $states.context.Execution.Id %}',
      step: compensation.name,
      error: '{% $compensationError.Error %}',
      cause: '{% $compensationError.Cause %}',
      input: '{% $command %}',
      failure: '{% $failure %}',
    }),
    assign: {
      compensations: `{% $append($compensations[compensation != ${name}], [$merge([$compensations[compensation = ${name}], {"queued": true}])]) %}`,
    },
  });
  record.addRetry({
    errors: [sfn.Errors.ALL],
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 5,
    jitterStrategy: sfn.JitterType.FULL,
  });
  // Even when the record cannot be written, the remaining compensations still run and the saga ends
  // SagaCompensationFailed: the failure stays visible in the execution's history and metrics.
  record.addCatch(next, { errors: [sfn.Errors.ALL] });
  record.next(next);
  if (options.inputErrors) {
    task.addRetry({ errors: [...options.inputErrors.errors], maxAttempts: 0 });
    task.addCatch(options.inputErrors.next, { errors: [...options.inputErrors.errors] });
  }
  task.addRetry(options.retry);
  task.addCatch(record, {
    errors: [sfn.Errors.ALL],
    assign: {
      compensationFailed: true,
      compensationError: '{% $states.errorOutput %}',
      compensations:
        `{% $append($compensations, [{"compensation": ${name}, "outcome": "failed", "error": $states.errorOutput.Error, ` +
        `"cause": $states.errorOutput.Cause, "queued": false}]) %}`,
    },
  });
  task.next(next);
  return task;
}

/**
 * Acknowledges, with reasons, the cdk-nag findings a saga's state machine role has by necessity: X-Ray and log
 * delivery have no resource-level permissions, and `lambda:InvokeFunction` is granted on each function's versions
 * (`<arn>:*`), of these functions only.
 */
export function acknowledgeStateMachineGrants(stateMachine: sfn.StateMachine, functions: readonly (lambda.IFunction | undefined)[]): void {
  const role = stateMachine.role;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray tracing and CloudWatch Logs delivery for the state machine have no resource-level permissions.',
  });
  for (const fn of functions) {
    const cfn = fn?.node.defaultChild;
    if (!(cfn instanceof CfnResource)) continue;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(cfn).getLogicalId(cfn)}.Arn>:*]`,
      reason: 'Invoking the versions and aliases of this one function (the `:*` qualifier); no other function.',
    });
  }
}
