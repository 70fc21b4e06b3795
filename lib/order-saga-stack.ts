import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InputErrors, TransientErrors } from '../lambdas/errors';
import { OrderSaga, type FunctionDeclaration, type ServiceName } from '../lambdas/order-saga';
import { OrderEvents } from './order-events';
import { OrdersApi } from './orders-api';
import { Saga, SagaErrorName, type SagaStep } from './saga';
import { TaskFunction } from './task-function';

/** Properties of an {@link OrderSagaStack}. */
export interface OrderSagaStackProps extends StackProps {
  /**
   * Honour the `faults` field of the input (for demos and tests). Never enable it in production.
   * @default false
   */
  readonly faultInjection?: boolean;
  /**
   * What happens to the services' tables and the compensation-failures queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * Who the alarms email: a subscription of the alarm topic (the address confirms it once). Every alarm notifies the
   * topic whether or not it has one.
   * @default - no subscription: subscribe to the `AlarmTopicArn` output
   */
  readonly alarmEmail?: string;
  /**
   * The state machines' log level. `OFF` is refused: the SagaCompensationFailed alarm reads the log.
   * @default sfn.LogLevel.ALL
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * Whether the state machines' logs carry inputs and outputs (the orders, customer addresses included).
   * @default true
   */
  readonly logExecutionData?: boolean;
  /**
   * Run the steps that may run side by side (ChargePayment and ScheduleShipment) one after the other instead, in
   * the order they are declared: the same saga as a plain list, for comparing the two (`npm run bench`).
   * @default false
   */
  readonly sequential?: boolean;
}

/**
 * The order-placement saga declared in `lambdas/order-saga.ts`: four services (orders, inventory, payments,
 * shipping), each with its own table and Lambda functions, orchestrated by a {@link Saga} state machine in which
 * ChargePayment and ScheduleShipment run side by side. Compensations that fail for good land on an encrypted queue
 * watched by an alarm; every alarm of the stack notifies its SNS topic (`alarmEmail` subscribes an address).
 *
 * @example
 * new OrderSagaStack(app, 'OrderSaga', { faultInjection: app.node.tryGetContext('faultInjection') === 'true' });
 */
export class OrderSagaStack extends Stack {
  public readonly saga: Saga;
  public readonly tables: Readonly<Record<ServiceName, dynamodb.Table>>;
  public readonly compensationFailures: sqs.Queue;
  /** Where every alarm of the stack sends its notifications. */
  public readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: OrderSagaStackProps = {}) {
    super(scope, id, props);
    const faultInjection = props.faultInjection ?? false;
    const logLevel = props.logLevel ?? sfn.LogLevel.ALL;
    if (logLevel === sfn.LogLevel.OFF) {
      throw new Error(`OrderSagaStack ${id}: logLevel OFF would blind the SagaCompensationFailed alarm, which counts the log's ExecutionFailed events; use ALL, ERROR or FATAL`);
    }
    const dataRemovalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;

    const table = (name: string, stream?: dynamodb.StreamViewType) =>
      new dynamodb.Table(this, name, {
        stream,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: dataRemovalPolicy,
      });
    const services = Object.entries(OrderSaga.services) as [ServiceName, (typeof OrderSaga.services)[ServiceName]][];
    this.tables = Object.fromEntries(services.map(([service, { table: id }]) => [service, table(id, service === 'orders' ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined)])) as Record<ServiceName, dynamodb.Table>;

    // One function per step, compensation and the failure step, named after its state (`ChargePaymentFunction`),
    // granted only the actions it declares on its own service's table.
    const fn = (declared: FunctionDeclaration<ServiceName>) => {
      const tableOf = this.tables[declared.service];
      const f = new TaskFunction(this, `${declared.name}Function`, {
        handler: declared.handler,
        environment: { TABLE_NAME: tableOf.tableName, FAULT_INJECTION: faultInjection ? 'enabled' : 'disabled' },
      });
      const actions: string[] = declared.actions.map((a) => `dynamodb:${a}`);
      // Fault injection counts attempts with UpdateItem; grant it only where it is needed.
      const granted = faultInjection && !actions.includes('dynamodb:UpdateItem') ? [...actions, 'dynamodb:UpdateItem'] : actions;
      tableOf.grant(f, ...granted);
      return f;
    };

    this.compensationFailures = new sqs.Queue(this, 'CompensationFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: dataRemovalPolicy,
    });
    Validations.of(this.compensationFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the place of last resort: a person reads each message, and an alarm fires on the first one.',
    });

    const executionLogs = new logs.LogGroup(this, 'SagaExecutionLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stepTimeout = Duration.seconds(15);
    const steps = OrderSaga.steps.map(
      (step, i): SagaStep => ({
        name: step.name,
        action: fn(step),
        businessErrors: step.rejections,
        compensation: 'compensation' in step ? { name: step.compensation.name, function: fn(step.compensation) } : undefined,
        timeout: stepTimeout,
        // Sequential: each step after the one declared before it.
        dependsOn: props.sequential ? (i === 0 ? [] : [OrderSaga.steps[i - 1].name]) : 'dependsOn' in step ? step.dependsOn : undefined,
      }),
    );
    this.saga = new Saga(this, 'OrderSaga', {
      steps,
      onFailure: { name: OrderSaga.onFailure.name, function: fn(OrderSaga.onFailure) },
      compensationFailureQueue: this.compensationFailures,
      inputErrors: InputErrors,
      transientErrors: TransientErrors,
      logs: { destination: executionLogs, level: logLevel, includeExecutionData: props.logExecutionData ?? true },
      tracingEnabled: true,
    });
    if (logLevel !== sfn.LogLevel.ALL) {
      for (const machine of [this.saga.stateMachine, this.saga.recovery?.stateMachine]) {
        if (!machine) continue;
        Validations.of(machine).acknowledge({
          id: 'AwsSolutions-SF1',
          reason: `Logging ${logLevel} was chosen for this stage (-c logLevel): every execution's full history stays in Step Functions for 90 days, and failures are still logged and alarmed.`,
        });
      }
    }

    new cloudwatch.Alarm(this, 'CompensationFailuresAlarm', {
      alarmDescription: 'A saga compensation failed for good: read the CompensationFailures queue and act on each message.',
      metric: this.compensationFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const compensationFailedFilter = new logs.MetricFilter(this, 'SagaCompensationFailedFilter', {
      logGroup: executionLogs,
      // One namespace per stack: two stages in one account must not trip each other's alarm.
      metricNamespace: this.stackName,
      metricName: 'SagaCompensationFailed',
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.type', '=', 'ExecutionFailed'),
        logs.FilterPattern.stringValue('$.details.error', '=', SagaErrorName.CompensationFailed),
      ),
      metricValue: '1',
      defaultValue: 0,
    });
    new cloudwatch.Alarm(this, 'SagaCompensationFailedAlarm', {
      alarmDescription: 'A saga execution ended SagaCompensationFailed: its effects were not fully undone.',
      metric: compensationFailedFilter.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The front door and the outbox (the orders table's stream → EventBridge Pipes → the OrderEvents bus).
    const api = new OrdersApi(this, 'OrdersApi', { stateMachine: this.saga.stateMachine, ordersTable: this.tables.orders });
    const orderEvents = new OrderEvents(this, 'OrderEvents', { ordersTable: this.tables.orders, deadLetterRemovalPolicy: dataRemovalPolicy });

    // Every alarm notifies the topic, those of the constructs above included (OrderEvents' dead letters).
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: `${this.stackName} alarms`, enforceSSL: true });
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        "CloudWatch alarms cannot publish to a topic under the AWS managed SNS key, and a customer managed key costs more than the alarm names and states it would protect.",
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    else Annotations.of(this.alarmTopic).addInfo('No alarmEmail: the alarms notify the AlarmTopic, which nobody is subscribed to yet (-c alarmEmail=you@example.com).');
    const notify = new cloudwatchActions.SnsAction(this.alarmTopic);
    for (const alarm of this.node.findAll().filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm)) alarm.addAlarmAction(notify);

    new CfnOutput(this, 'OrdersApiUrl', { value: api.api.url });
    new CfnOutput(this, 'OrderEventBusName', { value: orderEvents.bus.eventBusName });
    new CfnOutput(this, 'StateMachineArn', { value: this.saga.stateMachine.stateMachineArn });
    for (const [service, { output }] of services) new CfnOutput(this, output, { value: this.tables[service].tableName });
    new CfnOutput(this, 'CompensationFailuresQueueUrl', { value: this.compensationFailures.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }
}
