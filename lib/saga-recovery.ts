import { ArnFormat, CfnResource, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeStateMachineGrants, compensationTask, type SagaCompensation } from './saga-compensation';
import { SagaErrorName, SagaOutcome } from './saga-errors';

/** Properties of a {@link SagaRecovery}. */
export interface SagaRecoveryProps {
  /** The saga's state machine, whose executions are watched. */
  readonly sagaStateMachine: sfn.StateMachine;
  /**
   * The saga's failure step (CancelOrder): it closes the saga's ledger, and answers `outcome: 'not-owned'`
   * (`SagaOutcome.NotOwned`) when the ledger belongs to another saga. A recovery runs it first.
   */
  readonly failureStep: SagaCompensation;
  /** The compensations of the saga's steps, in the order they run (the last step's first). */
  readonly compensations: readonly SagaCompensation[];
  /** Where a compensation that fails for good is recorded, and where undeliverable events go. */
  readonly compensationFailureQueue: sqs.IQueue;
  readonly compensationRetry: sfn.RetryProps;
  /**
   * Errors the saga's executions end with on purpose, after running their own compensations or refusing the
   * command before writing anything: no recovery for those.
   */
  readonly terminalErrors: readonly string[];
  /** Errors that say the saga's command was malformed (so nothing was written): a recovery of it has nothing to do. */
  readonly inputErrors: readonly string[];
  /** @default - no execution logging */
  readonly logs?: sfn.LogOptions;
  /** @default true */
  readonly tracingEnabled?: boolean;
  /** @default - no execution timeout */
  readonly timeout?: Duration;
}

/**
 * Compensates executions of a saga that ended without running its compensations: stopped (ABORTED), past the
 * execution timeout (TIMED_OUT), or FAILED with an error that no Catch of the saga handles (`States.Runtime`,
 * `States.DataLimitExceeded`, …). An EventBridge rule on the saga's "Step Functions Execution Status Change" events
 * starts a compensation-only state machine with the event, for the saga that ended (its execution ARN is the saga
 * id). It runs the failure step first: if the saga's ledger belongs to another saga, this saga never got past its
 * first step and nothing else is compensated (its compensations would otherwise leave markers under the other
 * saga's keys). Otherwise it runs every compensation of the saga, in reverse order: they are idempotent and touch
 * only that saga's records, so undoing a step that never ran only leaves a marker that stops a late delivery of it.
 * Retries, the compensation-failures queue and the alarms are the saga's own.
 *
 * The event carries the execution's input only up to 248 KiB; without it, the recovery reads it with
 * `DescribeExecution`. An event that cannot be delivered after EventBridge's retries goes to the
 * compensation-failures queue, where the alarm fires and `saga repair` can start the recovery again.
 *
 * @example
 * new SagaRecovery(this, 'Recovery', {
 *   sagaStateMachine: saga.stateMachine,
 *   failureStep: cancel,
 *   compensations: [refund, release],
 *   compensationFailureQueue: queue,
 *   compensationRetry: DefaultCompensationRetry,
 *   terminalErrors: ['SagaCompensated', 'SagaCompensationFailed', 'InvalidOrder'],
 *   inputErrors: ['InvalidOrder'],
 * });
 */
export class SagaRecovery extends Construct {
  /** The compensation-only state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The rule that starts it. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SagaRecoveryProps) {
    super(scope, id);

    const recovered = sfn.Succeed.jsonata(this, 'SagaRecovered', { comment: 'Every compensation ran: the saga is undone.' });
    const notTheOwner = sfn.Succeed.jsonata(this, 'NotTheOwner', {
      comment: 'Another saga owns the ledger: this one never got past its first step, and has nothing to undo.',
    });
    const nothingToRecover = sfn.Succeed.jsonata(this, 'NothingToRecover', {
      comment: 'The saga was started with a malformed command, which its first step refuses before writing anything.',
    });
    const compensationFailed = sfn.Fail.jsonata(this, SagaErrorName.CompensationFailed, {
      error: SagaErrorName.CompensationFailed,
      cause: '{% $failure.cause %}',
    });
    const outcome = sfn.Choice.jsonata(this, 'CheckCompensations')
      .when(sfn.Condition.jsonata('{% $compensationFailed %}'), compensationFailed)
      .otherwise(recovered);

    const options = { queue: props.compensationFailureQueue, retry: props.compensationRetry };
    let next: sfn.IChainable = outcome;
    for (const compensation of [...props.compensations].reverse()) next = compensationTask(this, compensation, next, options);
    const ownership = sfn.Choice.jsonata(this, 'CheckOwnership')
      .when(sfn.Condition.jsonata(`{% $ledger = '${SagaOutcome.NotOwned}' %}`), notTheOwner)
      .otherwise(next);
    const firstCompensation = compensationTask(this, props.failureStep, ownership, {
      ...options,
      assign: { ledger: '{% $states.result.Payload.outcome %}' },
      inputErrors: props.inputErrors.length > 0 ? { errors: props.inputErrors, next: nothingToRecover } : undefined,
    });

    // The variables the compensations read: the saga that ended (its execution ARN owns the records), its
    // command, and the failure they compensate.
    const recoveryVariables = (input: string) => ({
      sagaId: '{% $states.input.detail.executionArn %}',
      command: `{% $parse(${input}) %}`,
      failure: {
        step: 'Recovery',
        error: '{% $states.input.detail.status %}',
        cause: "{% 'the saga execution ended ' & $states.input.detail.status & ' without compensating; compensated by ' & $states.context.Execution.Id %}",
      },
      compensationFailed: false,
      compensations: [],
      ledger: null,
    });
    const describe = tasks.CallAwsService.jsonata(this, 'DescribeSagaExecution', {
      service: 'sfn',
      action: 'describeExecution',
      parameters: { ExecutionArn: '{% $states.input.detail.executionArn %}' },
      iamAction: 'states:DescribeExecution',
      iamResources: [
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${props.sagaStateMachine.stateMachineName}:*`,
        }),
      ],
      assign: recoveryVariables('$states.result.Input'),
    });
    describe.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });
    describe.next(firstCompensation);
    // The event carries the input only while it is at most 248 KiB; otherwise `input` is null.
    const start = sfn.Choice.jsonata(this, 'HasSagaInput')
      .when(sfn.Condition.jsonata("{% $type($states.input.detail.input) = 'string' %}"), firstCompensation, {
        assign: recoveryVariables('$states.input.detail.input'),
      })
      .otherwise(describe);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      queryLanguage: sfn.QueryLanguage.JSONATA,
      logs: props.logs,
      tracingEnabled: props.tracingEnabled ?? true,
      timeout: props.timeout,
    });

    acknowledgeStateMachineGrants(this.stateMachine, [props.failureStep, ...props.compensations].map((c) => c.function));
    const sagaMachine = props.sagaStateMachine.node.defaultChild as CfnResource;
    const stack = Stack.of(this);
    // cdk-nag names the resource as it renders: a pseudo parameter while unresolved, the value once the stack has one.
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const executions = `arn:${shown(stack.partition, 'Partition')}:states:${shown(stack.region, 'Region')}:${shown(stack.account, 'AccountId')}:execution`;
    Validations.of(this.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${executions}:<${stack.getLogicalId(sagaMachine)}.Name>:*]`,
      reason: "DescribeExecution on the saga's own executions only, to read the input of one that ended: execution ARNs are not known in advance.",
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: 'Compensates saga executions that ended without running their compensations.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [props.sagaStateMachine.stateMachineArn],
          $or: [{ status: ['ABORTED', 'TIMED_OUT'] }, { status: ['FAILED'], error: [{ 'anything-but': [...props.terminalErrors] }] }],
        },
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.stateMachine, {
        deadLetterQueue: props.compensationFailureQueue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
