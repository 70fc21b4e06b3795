import { BatchGetCommand, GetCommand, TransactWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { InsufficientStock, OrderClosed, TransientError, UnknownSku, type StockShortfall } from '../errors';
import type { OrderLine, PlaceOrder } from '../schemas';
import { asTransient, cancellationCodes } from '../store';
import { Keys, undoOnce, type ServiceStore } from './store';

/** A catalogue entry: price in cents, units in stock. */
export interface CatalogueItem {
  readonly sku: string;
  readonly price: number;
  readonly stock: number;
}

export type ReservationStatus = 'RESERVED' | 'RELEASED';

interface ReservationItem {
  pk: string;
  orderId: string;
  reservationId: string;
  status: ReservationStatus;
  items: OrderLine[];
  total: number;
}

export interface ReserveResult {
  readonly reservationId: string;
  readonly total: number;
}

export interface ReleaseResult {
  readonly reservationId: string;
  readonly status: 'RELEASED';
}

const reservationIdOf = (orderId: string) => `res-${orderId}`;

/**
 * ReserveInventory: checks every line against the catalogue, then in one transaction decrements each line's stock
 * (on the condition that enough is left) and writes the reservation (on the condition that none exists yet).
 * Either every line is reserved or nothing is written. Idempotent by orderId: a second call returns the first
 * call's reservation.
 */
export async function reserveInventory(order: PlaceOrder, store: ServiceStore): Promise<ReserveResult> {
  const existing = await getReservation(order.orderId, store);
  if (existing) return replayReservation(existing);

  // A rejection must not be caused by this very order: another delivery of the same call may have committed
  // since we looked. Reject only if there is still no reservation for the order.
  const rejectUnlessReserved = async (rejection: Error): Promise<ReserveResult> => {
    const raced = await getReservation(order.orderId, store);
    if (raced) return replayReservation(raced);
    throw rejection;
  };

  const catalogue = await getCatalogue(
    order.items.map((line) => line.sku),
    store,
  );
  const unknown = order.items.filter((line) => !catalogue.has(line.sku)).map((line) => line.sku);
  if (unknown.length > 0) return rejectUnlessReserved(new UnknownSku(unknown));
  const shortfalls = findShortfalls(order.items, catalogue);
  if (shortfalls.length > 0) return rejectUnlessReserved(new InsufficientStock(shortfalls));

  const total = order.items.reduce((sum, line) => sum + line.quantity * catalogue.get(line.sku)!.price, 0);
  const reservation: ReservationItem = {
    pk: Keys.reservation(order.orderId),
    orderId: order.orderId,
    reservationId: reservationIdOf(order.orderId),
    status: 'RESERVED',
    items: order.items,
    total,
  };
  try {
    await store.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          ...order.items.map((line) => ({
            Update: {
              TableName: store.tableName,
              Key: { pk: Keys.sku(line.sku) },
              UpdateExpression: 'SET stock = stock - :quantity',
              ConditionExpression: 'attribute_exists(pk) AND stock >= :quantity',
              ExpressionAttributeValues: { ':quantity': line.quantity },
            },
          })),
          {
            Put: {
              TableName: store.tableName,
              Item: reservation,
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  } catch (err: unknown) {
    const codes = cancellationCodes(err);
    if (codes?.[order.items.length] === 'ConditionalCheckFailed') {
      // Another delivery of this same call committed first (or the order was already compensated).
      const raced = await getReservation(order.orderId, store);
      if (raced) return replayReservation(raced);
    }
    if (codes?.slice(0, order.items.length).includes('ConditionalCheckFailed')) {
      // Someone took the stock between our read and our write: report what is left now.
      const now = await getCatalogue(
        order.items.map((line) => line.sku),
        store,
      );
      const raced = findShortfalls(order.items, now);
      return rejectUnlessReserved(
        new InsufficientStock(raced.length > 0 ? raced : order.items.map((l) => ({ sku: l.sku, requested: l.quantity, available: now.get(l.sku)?.stock ?? 0 }))),
      );
    }
    throw asTransient(err);
  }
  return { reservationId: reservation.reservationId, total };
}

/**
 * ReleaseInventory: gives back the stock of the order's reservation exactly once and marks it RELEASED.
 * When there is no reservation (the step never ran or never committed), it writes a RELEASED marker so that a
 * late, still-running ReserveInventory for the same order can no longer commit.
 */
export async function releaseInventory(orderId: string, store: ServiceStore): Promise<ReleaseResult> {
  await undoOnce<ReservationItem>({
    what: `release of ${orderId}`,
    read: () => getReservation(orderId, store),
    isUndone: (reservation) => reservation.status === 'RELEASED',
    writeMarker: async () => {
      await store.doc.send(
        new PutCommand({ TableName: store.tableName, Item: emptyReservation(orderId), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    },
    undo: async (reservation) => {
      await store.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: store.tableName,
                Key: { pk: reservation.pk },
                UpdateExpression: 'SET #status = :released',
                ConditionExpression: '#status = :reserved',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED' },
              },
            },
            ...reservation.items.map((line) => ({
              Update: {
                TableName: store.tableName,
                Key: { pk: Keys.sku(line.sku) },
                UpdateExpression: 'ADD stock :quantity',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':quantity': line.quantity },
              },
            })),
          ],
        }),
      );
    },
  });
  return { reservationId: reservationIdOf(orderId), status: 'RELEASED' };
}

/** Reads catalogue entries (price and stock) for the given SKUs with strongly consistent reads. */
export async function getCatalogue(skus: readonly string[], store: ServiceStore): Promise<Map<string, CatalogueItem>> {
  const found = new Map<string, CatalogueItem>();
  let keys: Record<string, unknown>[] = [...new Set(skus)].map((sku) => ({ pk: Keys.sku(sku) }));
  for (let round = 0; keys.length > 0; round++) {
    if (round > 5) throw new TransientError('catalogue read throttled; retry');
    const out = await store.doc.send(
      new BatchGetCommand({ RequestItems: { [store.tableName]: { Keys: keys, ConsistentRead: true } } }),
    );
    for (const item of out.Responses?.[store.tableName] ?? []) {
      found.set(String(item.sku), { sku: String(item.sku), price: Number(item.price), stock: Number(item.stock) });
    }
    keys = out.UnprocessedKeys?.[store.tableName]?.Keys ?? [];
  }
  return found;
}

/** Reads an order's reservation, if any. */
export async function getReservation(orderId: string, store: ServiceStore): Promise<ReservationItem | undefined> {
  const out = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { pk: Keys.reservation(orderId) }, ConsistentRead: true }),
  );
  return out.Item as ReservationItem | undefined;
}

function findShortfalls(lines: readonly OrderLine[], catalogue: Map<string, CatalogueItem>): StockShortfall[] {
  return lines
    .map((line) => ({ sku: line.sku, requested: line.quantity, available: catalogue.get(line.sku)?.stock ?? 0 }))
    .filter((s) => s.available < s.requested);
}

function replayReservation(existing: ReservationItem): ReserveResult {
  if (existing.status !== 'RESERVED') {
    throw new OrderClosed(existing.orderId, 'its inventory reservation was already released');
  }
  return { reservationId: existing.reservationId, total: existing.total };
}

function emptyReservation(orderId: string): ReservationItem {
  return { pk: Keys.reservation(orderId), orderId, reservationId: reservationIdOf(orderId), status: 'RELEASED', items: [], total: 0 };
}
