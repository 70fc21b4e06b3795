import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DuplicateOrder, OrderClosed, TransientError } from '../errors';
import type { Failure, OrderLine, ShippingAddress } from '../schemas';
import { asTransient } from '../store';
import { conditionFailed, Keys, type Owned, type ServiceStore } from './store';

/** PENDING while its saga runs; then CONFIRMED or CANCELLED, once. */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

/** An order as the orders service stores it: the saga's ledger, and what a query answers. */
export interface OrderRecord extends Owned {
  readonly orderId: string;
  /** The saga (execution ARN) the order belongs to: the only one that may confirm or cancel it. */
  readonly sagaId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderLine[];
  /** Where to deliver the order; absent: collected at the store. Part of the order's content. */
  readonly shipTo?: ShippingAddress;
  readonly total?: number;
  readonly reservationId?: string;
  readonly chargeId?: string;
  readonly shipmentId?: string;
  /** CANCELLED: the failure, with `reason`, the readable part of its cause (what the API and the events show). */
  readonly failure?: RecordedFailure;
}

/** A failure as the order records it: `reason` is the cause's error message, without a stack trace. */
export type RecordedFailure = Failure & { readonly reason?: string };

/**
 * The readable reason of a failure: a Lambda error's cause is the JSON of `{ errorType, errorMessage, trace }`, whose
 * message is the reason (the trace is for the execution's history, not for customers or other services); any other
 * cause is its own reason.
 */
export function failureReason(failure: Failure): string {
  const cause = failure.cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string') {
      return (parsed as { errorMessage: string }).errorMessage;
    }
  } catch {
    // Not JSON: the cause is the reason.
  }
  return cause === '' ? failure.error : cause;
}

export interface CreateRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  readonly shipTo?: ShippingAddress;
}

export interface CreateResult {
  readonly orderId: string;
  readonly status: 'PENDING';
}

export interface ConfirmRequest {
  readonly orderId: string;
  readonly total: number;
  readonly reservationId: string;
  readonly chargeId: string;
  readonly shipmentId: string;
}

export interface CancelRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  readonly failure: Failure;
}

/** What CancelOrder did: `not-owned` names the saga the order belongs to, which this one leaves alone. */
export type CancelResult =
  | { readonly orderId: string; readonly outcome: 'cancelled' | 'already-cancelled'; readonly status: 'CANCELLED' }
  | { readonly orderId: string; readonly outcome: 'not-owned'; readonly owner: string };

/** The lines as text, field by field: a stored map's key order is not guaranteed, so JSON of it would not do. */
const linesOf = (items: readonly OrderLine[]) => items.map((line) => `${line.sku}×${line.quantity}`).join(',');

/** The shipping address as text, field by field (`collection` without one), for the same reason. */
export const addressOf = (shipTo: ShippingAddress | undefined) => (shipTo ? [shipTo.line1, shipTo.city, shipTo.postcode, shipTo.country].join('|') : 'collection');

const sameContent = (order: OrderRecord, request: CreateRequest) =>
  order.customerId === request.customerId && linesOf(order.items) === linesOf(request.items) && addressOf(order.shipTo) === addressOf(request.shipTo);

/**
 * CreateOrder, the saga's first step: writes the order PENDING, owned by saga `sagaId`, on the condition that the
 * order does not exist. This is what makes one order one saga, whatever the executions are called: a second saga
 * for the order (running, confirmed or cancelled; same content or not) is refused with `DuplicateOrder` and writes
 * nothing. The same saga delivering the step again gets the first result.
 */
export async function createOrder(request: CreateRequest, sagaId: string, store: ServiceStore): Promise<CreateResult> {
  const order: OrderRecord = {
    orderId: request.orderId,
    sagaId,
    customerId: request.customerId,
    items: request.items,
    ...(request.shipTo ? { shipTo: request.shipTo } : {}),
    status: 'PENDING',
  };
  try {
    await store.doc.send(
      new PutCommand({ TableName: store.tableName, Item: { pk: Keys.order(request.orderId), ...order }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return { orderId: request.orderId, status: 'PENDING' };
  } catch (err: unknown) {
    if (!conditionFailed(err)) throw asTransient(err);
  }
  const existing = await getOrder(request.orderId, store);
  if (!existing) throw new TransientError(`order ${request.orderId} changed while it was created; retry`);
  if (existing.sagaId !== sagaId) {
    const content = sameContent(existing, request) ? 'the same content' : 'other content';
    throw new DuplicateOrder(request.orderId, existing.sagaId ?? 'unknown', `it belongs to another saga, with ${content}, now ${existing.status}`);
  }
  if (!sameContent(existing, request)) throw new DuplicateOrder(request.orderId, sagaId, 'this saga created it with other content');
  if (existing.status === 'CANCELLED') throw new OrderClosed(request.orderId, 'it was already cancelled');
  return { orderId: request.orderId, status: 'PENDING' };
}

/**
 * ConfirmOrder for saga `sagaId`: turns the saga's PENDING order CONFIRMED with its total, reservation, charge and shipment,
 * once. A cancelled order cannot be confirmed (`OrderClosed`); another saga's order is never touched
 * (`DuplicateOrder`).
 */
export async function confirmOrder(request: ConfirmRequest, sagaId: string, store: ServiceStore): Promise<OrderRecord> {
  try {
    const out = await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: Keys.order(request.orderId) },
        UpdateExpression: 'SET #status = :confirmed, #total = :total, reservationId = :reservation, chargeId = :charge, shipmentId = :shipment',
        ConditionExpression: 'sagaId = :saga AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status', '#total': 'total' },
        ExpressionAttributeValues: {
          ':confirmed': 'CONFIRMED',
          ':pending': 'PENDING',
          ':saga': sagaId,
          ':total': request.total,
          ':reservation': request.reservationId,
          ':charge': request.chargeId,
          ':shipment': request.shipmentId,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return withoutKey(out.Attributes ?? {});
  } catch (err: unknown) {
    if (!conditionFailed(err)) throw asTransient(err);
  }
  const existing = await getOrder(request.orderId, store);
  if (!existing) throw new OrderClosed(request.orderId, 'it does not exist');
  if (existing.sagaId !== sagaId) throw new DuplicateOrder(request.orderId, existing.sagaId ?? 'unknown');
  if (existing.status === 'CONFIRMED') return existing;
  throw new OrderClosed(request.orderId, 'it was already cancelled');
}

/**
 * CancelOrder for saga `sagaId`, at the end of every failure path: writes the saga's order CANCELLED with the
 * failure that ended the saga (a PENDING order, or a CONFIRMED one that a later failure undid). When the order was
 * never created it writes a CANCELLED marker owned by the saga, so that a late CreateOrder cannot commit.
 * Idempotent: the first recorded failure is kept. Another saga's order is left alone, and the result says whose.
 */
export async function cancelOrder(request: CancelRequest, sagaId: string, store: ServiceStore): Promise<CancelResult> {
  const failure: RecordedFailure = { ...request.failure, reason: failureReason(request.failure) };
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await getOrder(request.orderId, store);
    if (existing && existing.sagaId !== sagaId) return { orderId: request.orderId, outcome: 'not-owned', owner: existing.sagaId ?? 'unknown' };
    if (existing?.status === 'CANCELLED') return { orderId: request.orderId, outcome: 'already-cancelled', status: 'CANCELLED' };
    try {
      if (existing) {
        await store.doc.send(
          new UpdateCommand({
            TableName: store.tableName,
            Key: { pk: Keys.order(request.orderId) },
            UpdateExpression: 'SET #status = :cancelled, failure = :failure',
            ConditionExpression: 'sagaId = :saga AND #status = :seen',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':cancelled': 'CANCELLED', ':failure': failure, ':saga': sagaId, ':seen': existing.status },
          }),
        );
      } else {
        const marker: OrderRecord = {
          orderId: request.orderId,
          sagaId,
          customerId: request.customerId,
          items: request.items,
          status: 'CANCELLED',
          failure,
        };
        await store.doc.send(
          new PutCommand({ TableName: store.tableName, Item: { pk: Keys.order(request.orderId), ...marker }, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
      }
      return { orderId: request.orderId, outcome: 'cancelled', status: 'CANCELLED' };
    } catch (err: unknown) {
      if (conditionFailed(err)) continue;
      throw asTransient(err);
    }
  }
  throw new TransientError(`cancel of ${request.orderId} kept racing; retry`);
}

/** Reads an order, if any. */
export async function getOrder(orderId: string, store: ServiceStore): Promise<OrderRecord | undefined> {
  const out = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: Keys.order(orderId) }, ConsistentRead: true }));
  return out.Item ? withoutKey(out.Item) : undefined;
}

function withoutKey(item: Record<string, unknown>): OrderRecord {
  const { pk: _pk, ...order } = item;
  return order as unknown as OrderRecord;
}
