import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BusinessRejections, InputErrors, TransientErrors } from '../lambdas/errors';
import { OrderEvents } from './order-events';
import { OrdersApi } from './orders-api';
import { Saga, SagaErrorName } from './saga';
import { TaskFunction } from './task-function';

/** Properties of an {@link OrderSagaStack}. */
export interface OrderSagaStackProps extends StackProps {
  /**
   * Honour the `faults` field of the input (for demos and tests). Never enable it in production.
   * @default false
   */
  readonly faultInjection?: boolean;
  /**
   * What happens to the three tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

/** DynamoDB actions a function may use on its own service's table; nothing else is granted. */
const TableActions = {
  reserve: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  compensate: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  charge: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  create: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  record: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
} as const;

/**
 * The order-placement saga: three services (inventory, payments, orders), each with its own table and Lambda
 * functions, orchestrated by a {@link Saga} state machine. Compensations that fail for good land on an encrypted
 * queue watched by an alarm.
 *
 * @example
 * new OrderSagaStack(app, 'OrderSaga', { faultInjection: app.node.tryGetContext('faultInjection') === 'true' });
 */
export class OrderSagaStack extends Stack {
  public readonly saga: Saga;
  public readonly tables: { readonly inventory: dynamodb.Table; readonly payments: dynamodb.Table; readonly orders: dynamodb.Table };
  public readonly compensationFailures: sqs.Queue;

  constructor(scope: Construct, id: string, props: OrderSagaStackProps = {}) {
    super(scope, id, props);
    const faultInjection = props.faultInjection ?? false;

    const table = (name: string, stream?: dynamodb.StreamViewType) =>
      new dynamodb.Table(this, name, {
        stream,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      });
    this.tables = { inventory: table('InventoryTable'), payments: table('PaymentsTable'), orders: table('OrdersTable', dynamodb.StreamViewType.NEW_AND_OLD_IMAGES) };

    const fn = (id: string, handler: string, tableOf: dynamodb.Table, actions: readonly string[]) => {
      const f = new TaskFunction(this, id, {
        handler,
        environment: { TABLE_NAME: tableOf.tableName, FAULT_INJECTION: faultInjection ? 'enabled' : 'disabled' },
      });
      // Fault injection counts attempts with UpdateItem; grant it only where it is needed.
      const granted = faultInjection && !actions.includes('dynamodb:UpdateItem') ? [...actions, 'dynamodb:UpdateItem'] : actions;
      tableOf.grant(f, ...granted);
      return f;
    };
    const { inventory, payments, orders } = this.tables;
    const create = fn('CreateOrderFunction', 'create-order', orders, TableActions.create);
    const reserve = fn('ReserveInventoryFunction', 'reserve-inventory', inventory, TableActions.reserve);
    const release = fn('ReleaseInventoryFunction', 'release-inventory', inventory, TableActions.compensate);
    const charge = fn('ChargePaymentFunction', 'charge-payment', payments, TableActions.charge);
    const refund = fn('RefundPaymentFunction', 'refund-payment', payments, TableActions.compensate);
    const confirm = fn('ConfirmOrderFunction', 'confirm-order', orders, TableActions.record);
    const cancel = fn('CancelOrderFunction', 'cancel-order', orders, TableActions.record);

    this.compensationFailures = new sqs.Queue(this, 'CompensationFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
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
    this.saga = new Saga(this, 'OrderSaga', {
      steps: [
        // The orders service creates the order PENDING and owned by this execution: a second saga for the order,
        // whatever its execution is called, is refused here (DuplicateOrder) before it writes anything.
        { name: 'CreateOrder', action: create, businessErrors: BusinessRejections.CreateOrder, timeout: stepTimeout },
        {
          name: 'ReserveInventory',
          action: reserve,
          businessErrors: BusinessRejections.ReserveInventory,
          compensation: { name: 'ReleaseInventory', function: release },
          timeout: stepTimeout,
        },
        {
          name: 'ChargePayment',
          action: charge,
          businessErrors: BusinessRejections.ChargePayment,
          compensation: { name: 'RefundPayment', function: refund },
          timeout: stepTimeout,
        },
        { name: 'ConfirmOrder', action: confirm, businessErrors: BusinessRejections.ConfirmOrder, timeout: stepTimeout },
      ],
      onFailure: { name: 'CancelOrder', function: cancel },
      compensationFailureQueue: this.compensationFailures,
      inputErrors: InputErrors,
      transientErrors: TransientErrors,
      logs: { destination: executionLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

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
      metricNamespace: 'ServerlessSaga',
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
    const api = new OrdersApi(this, 'OrdersApi', { stateMachine: this.saga.stateMachine, ordersTable: orders });
    const orderEvents = new OrderEvents(this, 'OrderEvents', { ordersTable: orders });
    new CfnOutput(this, 'OrdersApiUrl', { value: api.api.url });
    new CfnOutput(this, 'OrderEventBusName', { value: orderEvents.bus.eventBusName });
    new CfnOutput(this, 'StateMachineArn', { value: this.saga.stateMachine.stateMachineArn });
    new CfnOutput(this, 'InventoryTableName', { value: inventory.tableName });
    new CfnOutput(this, 'PaymentsTableName', { value: payments.tableName });
    new CfnOutput(this, 'OrdersTableName', { value: orders.tableName });
    new CfnOutput(this, 'CompensationFailuresQueueUrl', { value: this.compensationFailures.queueUrl });
  }
}
