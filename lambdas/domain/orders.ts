import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { OrderClosed, TransientError } from '../errors';
import type { Failure, OrderLine } from '../schemas';
import { asTransient } from '../store';
import { Keys, type ServiceStore } from './store';

export type OrderStatus = 'CONFIRMED' | 'CANCELLED';

export interface OrderRecord {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderLine[];
  readonly total?: number;
  readonly reservationId?: string;
  readonly chargeId?: string;
  readonly failure?: Failure;
}

export interface ConfirmRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  readonly total: number;
  readonly reservationId: string;
  readonly chargeId: string;
}

export interface CancelRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  readonly failure: Failure;
}

/** ConfirmOrder: writes the order CONFIRMED, once. A cancelled order cannot be confirmed. */
export async function confirmOrder(request: ConfirmRequest, store: ServiceStore): Promise<OrderRecord> {
  const order: OrderRecord = { ...request, status: 'CONFIRMED' };
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { pk: Keys.order(request.orderId), ...order },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return order;
  } catch (err: unknown) {
    if (!(err instanceof ConditionalCheckFailedException)) throw asTransient(err);
  }
  const existing = await getOrder(request.orderId, store);
  if (existing?.status === 'CONFIRMED') return existing;
  throw new OrderClosed(request.orderId, 'it was already cancelled');
}

/**
 * CancelOrder: writes the order CANCELLED with the failure that ended the saga. An order that a later failure
 * un-did after it was confirmed becomes CANCELLED too. Idempotent: the first recorded failure is kept.
 */
export async function cancelOrder(request: CancelRequest, store: ServiceStore): Promise<OrderRecord> {
  const order: OrderRecord = {
    orderId: request.orderId,
    customerId: request.customerId,
    items: request.items,
    status: 'CANCELLED',
    failure: request.failure,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await getOrder(request.orderId, store);
    if (existing?.status === 'CANCELLED') return existing;
    try {
      await store.doc.send(
        new PutCommand({
          TableName: store.tableName,
          Item: existing
            ? { ...existing, pk: Keys.order(request.orderId), status: 'CANCELLED', failure: request.failure }
            : { pk: Keys.order(request.orderId), ...order },
          ConditionExpression: existing ? '#status = :confirmed' : 'attribute_not_exists(pk)',
          ...(existing
            ? { ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':confirmed': 'CONFIRMED' } }
            : {}),
        }),
      );
      return existing ? { ...existing, status: 'CANCELLED', failure: request.failure } : order;
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException) continue;
      throw asTransient(err);
    }
  }
  throw new TransientError(`cancel of ${request.orderId} kept racing; retry`);
}

/** Reads an order, if any. */
export async function getOrder(orderId: string, store: ServiceStore): Promise<OrderRecord | undefined> {
  const out = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { pk: Keys.order(orderId) }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, ...order } = out.Item;
  return order as OrderRecord;
}
