import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OrderEventSource, OrderEventsSchemaVersion, OrderEventTypes, orderEventJsonSchema } from './order-event-schema';

/** Properties of {@link OrderEvents}. */
export interface OrderEventsProps {
  /** The orders table, with a stream of new and old images (`StreamViewType.NEW_AND_OLD_IMAGES`). */
  readonly ordersTable: dynamodb.ITable;
  /** How long the archive keeps events for replay. @default Duration.days(365) */
  readonly archiveRetention?: Duration;
  /** What happens to the dead-letter queue (order changes not yet published) when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly deadLetterRemovalPolicy?: RemovalPolicy;
}

/** The stream record's fields, as the pipes' input templates read them. */
const image = (field: string, type: 'S' | 'N' = 'S') => `<$.dynamodb.NewImage.${field}.${type}>`;

const change = `"change": { "eventId": "<$.eventID>", "sequenceNumber": "<$.dynamodb.SequenceNumber>" }`;
const common = `"schemaVersion": "${OrderEventsSchemaVersion}", "orderId": "${image('orderId')}", "customerId": "${image('customerId')}", "sagaId": "${image('sagaId')}"`;

/**
 * One pipe per event type: which changes of an order record it publishes, and the event's detail. The filters
 * compare the old and new status, so a write that changes nothing (a replayed step, a second saga refused by the
 * data) publishes nothing.
 */
const PipeSpecs = [
  {
    id: 'ConfirmedPipe',
    detailType: OrderEventTypes.confirmed,
    filters: [{ eventName: ['MODIFY'], dynamodb: { OldImage: { status: { S: ['PENDING'] } }, NewImage: { status: { S: ['CONFIRMED'] } } } }],
    template: `{ ${common}, "status": "CONFIRMED", "total": "${image('total', 'N')}", "reservationId": "${image('reservationId')}", "chargeId": "${image('chargeId')}", ${change} }`,
  },
  {
    id: 'CancelledPipe',
    detailType: OrderEventTypes.cancelled,
    filters: [
      // A PENDING (or, after a late failure, CONFIRMED) order cancelled by its saga.
      { eventName: ['MODIFY'], dynamodb: { OldImage: { status: { S: [{ 'anything-but': ['CANCELLED'] }] } }, NewImage: { status: { S: ['CANCELLED'] } } } },
      // An order cancelled before it was created (its first step failed in an unknown way): the CANCELLED marker.
      { eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: ['CANCELLED'] } } } },
    ],
    template:
      `{ ${common}, "status": "CANCELLED", "failure": { "step": "<$.dynamodb.NewImage.failure.M.step.S>", ` +
      `"error": "<$.dynamodb.NewImage.failure.M.error.S>", "reason": "<$.dynamodb.NewImage.failure.M.reason.S>" }, ${change} }`,
  },
] as const;

/**
 * The orders service's integration events, published through a transactional outbox: the orders table's stream,
 * read by one EventBridge pipe per event type (`OrderConfirmed`, `OrderCancelled`), filtered on the change of
 * status and shaped by an input template, onto a custom event bus with an archive for replay. The event is part of
 * the write that changes the order, so it can be neither lost nor published for a change that did not commit; the
 * saga's state machine is untouched. Delivery is at least once: consumers deduplicate on `orderId` + `status`.
 *
 * Records the pipes cannot deliver after their retries go to a dead-letter queue watched by an alarm. The schema
 * (`schemas/order-events/v1.json`) is registered in an EventBridge schema registry.
 *
 * @example
 * const events = new OrderEvents(this, 'OrderEvents', { ordersTable: orders });
 * new events.Rule(this, 'OnCancelled', { eventBus: events.bus, eventPattern: { detailType: ['OrderCancelled'] } });
 */
export class OrderEvents extends Construct {
  /** The custom bus the order events are published on. */
  public readonly bus: events.EventBus;
  public readonly archive: events.Archive;
  /** Stream records a pipe could not deliver. */
  public readonly deadLetters: sqs.Queue;
  public readonly pipes: readonly pipes.CfnPipe[];

  constructor(scope: Construct, id: string, props: OrderEventsProps) {
    super(scope, id);
    const streamArn = props.ordersTable.tableStreamArn;
    if (!streamArn) throw new Error(`OrderEvents ${id}: the orders table has no stream; give it stream: StreamViewType.NEW_AND_OLD_IMAGES`);

    this.bus = new events.EventBus(this, 'Bus', { description: 'Integration events of the orders service (OrderConfirmed, OrderCancelled)' });
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      eventPattern: { source: [OrderEventSource] },
      retention: props.archiveRetention ?? Duration.days(365),
      description: 'Every order event, for replay to a new or repaired consumer',
    });

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.deadLetterRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the order-event pipes; an alarm fires on its first message.',
    });
    new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'An order change could not be published as an event: read the OrderEvents dead-letter queue.',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const pipeLogs = new logs.LogGroup(this, 'PipeLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // One role for both pipes: read the orders stream, put on this bus, dead-letter to this queue, log errors.
    const role = new iam.Role(this, 'PipeRole', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
    props.ordersTable.grantStreamRead(role);
    this.bus.grantPutEventsTo(role);
    this.deadLetters.grantSendMessages(role);
    pipeLogs.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams has no resource-level permissions; every other action names the orders stream, the bus, the queue or the log group.',
    });

    this.pipes = PipeSpecs.map(
      (spec) =>
        new pipes.CfnPipe(this, spec.id, {
          description: `Publishes ${spec.detailType} from the orders table's stream`,
          roleArn: role.roleArn,
          source: streamArn,
          sourceParameters: {
            dynamoDbStreamParameters: {
              startingPosition: 'LATEST',
              batchSize: 10,
              maximumRetryAttempts: 10,
              onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
              deadLetterConfig: { arn: this.deadLetters.queueArn },
            },
            filterCriteria: { filters: spec.filters.map((pattern) => ({ pattern: JSON.stringify(pattern) })) },
          },
          target: this.bus.eventBusArn,
          targetParameters: {
            inputTemplate: spec.template,
            eventBridgeEventBusParameters: { detailType: spec.detailType, source: OrderEventSource },
          },
          logConfiguration: { level: 'ERROR', cloudwatchLogsLogDestination: { logGroupArn: pipeLogs.logGroupArn } },
        }),
    );
    // The pipes must not start before their role may read the stream.
    for (const pipe of this.pipes) pipe.node.addDependency(role);

    const registry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', { description: 'Schemas of the orders service events' });
    new eventschemas.CfnSchema(this, `SchemaV${OrderEventsSchemaVersion}`, {
      registryName: registry.attrRegistryName,
      type: 'JSONSchemaDraft4',
      content: JSON.stringify(orderEventJsonSchema()),
      description: `Order events, version ${OrderEventsSchemaVersion} (schemas/order-events/v${OrderEventsSchemaVersion}.json)`,
    });
  }
}
