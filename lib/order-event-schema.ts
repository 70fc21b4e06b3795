import * as z from 'zod';

/**
 * The integration events of the orders service, version 1: the contract other services consume. The JSON Schema
 * file `schemas/order-events/v1.json` is generated from these definitions (`npm run schemas`; a test fails when it
 * is stale), and the stack registers it in an EventBridge schema registry.
 *
 * A new optional field keeps the version; removing or retyping a field, or changing a meaning, is version 2 with
 * its own file, published beside version 1 until its consumers have moved.
 */
export const OrderEventsSchemaVersion = '1';

/** `source` of every order event. */
export const OrderEventSource = 'serverless-saga.orders';

/** The event types, as `detail-type`. */
export const OrderEventTypes = { confirmed: 'OrderConfirmed', cancelled: 'OrderCancelled' } as const;

const text = (description: string) => z.string().min(1).describe(description);

/**
 * Which change of the order record the event reports. `orderId` + `status` is the consumer's deduplication key:
 * an order becomes CONFIRMED at most once and CANCELLED at most once, and the outbox delivers at least once.
 */
const change = z
  .strictObject({
    eventId: text('The DynamoDB stream record id of the change: the same for every copy of one change'),
    sequenceNumber: text('The stream record sequence number: increases with each change of one order'),
  })
  .describe('The change of the order record that this event publishes');

const common = {
  schemaVersion: z.literal(OrderEventsSchemaVersion).describe('The version of this schema'),
  orderId: text('The order'),
  customerId: text('The customer who placed it'),
  sagaId: text('The saga (Step Functions execution ARN) that owns the order'),
  change,
};

/** The detail of `OrderConfirmed`: the order as confirmed, with its charge and reservation. */
export const orderConfirmedDetail = z.strictObject({
  ...common,
  status: z.literal('CONFIRMED'),
  total: z.string().regex(/^\d+$/).describe('The amount charged, in cents, as decimal text'),
  reservationId: text('The inventory reservation'),
  chargeId: text('The payment charge'),
});

/** The detail of `OrderCancelled`: the order and why its saga cancelled it. */
export const orderCancelledDetail = z.strictObject({
  ...common,
  status: z.literal('CANCELLED'),
  failure: z
    .strictObject({
      step: text('The saga step that failed'),
      error: text('Its error name (InsufficientStock, PaymentDeclined, States.Timeout…)'),
      reason: z.string().describe("Why: the error's message (without a stack trace)"),
    })
    .describe('Why the order was cancelled'),
});

const envelope = <T extends string, D extends z.ZodType>(detailType: T, detail: D) =>
  z.looseObject({
    version: z.string(),
    id: z.string().describe('The EventBridge event id (differs between copies of one change)'),
    'detail-type': z.literal(detailType),
    source: z.literal(OrderEventSource),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail,
  });

/** An order event as a consumer receives it from the bus: the EventBridge envelope and the detail. */
export const orderEvent = z.discriminatedUnion('detail-type', [
  envelope(OrderEventTypes.confirmed, orderConfirmedDetail),
  envelope(OrderEventTypes.cancelled, orderCancelledDetail),
]);
export type OrderEvent = z.infer<typeof orderEvent>;

/** The JSON Schema (draft 4, as the EventBridge schema registry takes it) of {@link orderEvent}. */
export function orderEventJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(orderEvent, { target: 'draft-4' }),
    title: `Order events, version ${OrderEventsSchemaVersion}`,
    description: 'OrderConfirmed and OrderCancelled, published on the OrderEvents bus when an order changes state.',
  };
}
