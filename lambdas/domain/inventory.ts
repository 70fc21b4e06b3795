import { BatchGetCommand, GetCommand, TransactWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DuplicateOrder, InsufficientStock, OrderClosed, TransientError, UnknownSku, type StockShortfall } from '../errors';
import type { OrderLine, PlaceOrder } from '../schemas';
import { asTransient, cancellationCodes } from '../store';
import { conditionFailed, Keys, rejectionError, undoOnce, type Owned, type RecordedRejection, type ServiceStore, type UndoOutcome } from './store';

/** A catalogue entry: price in cents, units in stock. */
export interface CatalogueItem {
  readonly sku: string;
  readonly price: number;
  readonly stock: number;
}

/**
 * RESERVED holds stock; RELEASED gave it back (or marks a reservation that never committed); REJECTED records a
 * business rejection, so that a late delivery of the step gets the same rejection instead of committing.
 */
export type ReservationStatus = 'RESERVED' | 'RELEASED' | 'REJECTED';

interface ReservationItem extends Owned {
  pk: string;
  orderId: string;
  /** The saga (execution ARN) that wrote the record. */
  sagaId: string;
  reservationId: string;
  status: ReservationStatus;
  items: OrderLine[];
  total: number;
  rejection?: RecordedRejection;
}

export interface ReserveResult {
  readonly reservationId: string;
  readonly total: number;
}

export interface ReleaseResult {
  readonly reservationId: string;
  /** What the release did; `not-owned` names the saga the reservation belongs to. */
  readonly release: UndoOutcome;
}

const reservationIdOf = (orderId: string) => `res-${orderId}`;

/**
 * ReserveInventory for saga `sagaId`: checks every line against the catalogue, then in one transaction decrements
 * each line's stock (on the condition that enough is left) and writes the reservation owned by the saga (on the
 * condition that none exists yet). Either every line is reserved or nothing is. A rejection is recorded too, on the
 * same condition, so the first outcome of the step is final: another delivery of it replays the reservation or
 * the rejection, and can never commit after the saga rejected, failed or released it. A reservation of another
 * saga is neither replayed nor touched: `DuplicateOrder`.
 */
export async function reserveInventory(order: PlaceOrder, sagaId: string, store: ServiceStore): Promise<ReserveResult> {
  const existing = await getReservation(order.orderId, store);
  if (existing) return replayReservation(existing, sagaId);

  const catalogue = await getCatalogue(
    order.items.map((line) => line.sku),
    store,
  );
  const unknown = order.items.filter((line) => !catalogue.has(line.sku)).map((line) => line.sku);
  if (unknown.length > 0) return reject(order, sagaId, new UnknownSku(unknown), store);
  const shortfalls = findShortfalls(order.items, catalogue);
  if (shortfalls.length > 0) return reject(order, sagaId, new InsufficientStock(shortfalls), store);

  const total = order.items.reduce((sum, line) => sum + line.quantity * catalogue.get(line.sku)!.price, 0);
  const reservation: ReservationItem = {
    pk: Keys.reservation(order.orderId),
    orderId: order.orderId,
    sagaId,
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
    if (conditionFailed(err, order.items.length)) {
      // Another delivery of this step committed or recorded its outcome first (or the saga was compensated).
      const raced = await getReservation(order.orderId, store);
      if (raced) return replayReservation(raced, sagaId);
    }
    if (cancellationCodes(err)?.slice(0, order.items.length).includes('ConditionalCheckFailed')) {
      // Someone took the stock between our read and our write: report what is left now.
      const now = await getCatalogue(
        order.items.map((line) => line.sku),
        store,
      );
      const raced = findShortfalls(order.items, now);
      const shortfall = raced.length > 0 ? raced : order.items.map((l) => ({ sku: l.sku, requested: l.quantity, available: now.get(l.sku)?.stock ?? 0 }));
      return reject(order, sagaId, new InsufficientStock(shortfall), store);
    }
    throw asTransient(err);
  }
  return { reservationId: reservation.reservationId, total };
}

/**
 * Records a rejection as the step's outcome, then raises it. If another delivery of the step recorded an outcome
 * first (a reservation, or its own rejection), that outcome is the step's: it is replayed instead.
 */
async function reject(order: PlaceOrder, sagaId: string, rejection: Error, store: ServiceStore): Promise<ReserveResult> {
  const marker: ReservationItem = {
    ...emptyReservation(order.orderId, sagaId, 'REJECTED'),
    rejection: { error: rejection.name, message: rejection.message },
  };
  try {
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (err: unknown) {
    if (!conditionFailed(err)) throw asTransient(err);
    const raced = await getReservation(order.orderId, store);
    if (raced) return replayReservation(raced, sagaId);
    throw new TransientError(`reservation of ${order.orderId} changed while it was rejected; retry`);
  }
  throw rejection;
}

/**
 * ReleaseInventory for saga `sagaId`: gives back the stock of the saga's reservation exactly once and marks it
 * RELEASED. When there is no reservation (the step never ran or never committed), it writes a RELEASED marker owned
 * by the saga, so that a late, still-running ReserveInventory can no longer commit. A reservation of another saga
 * is left alone, and the result says whose it is.
 */
export async function releaseInventory(orderId: string, sagaId: string, store: ServiceStore): Promise<ReleaseResult> {
  const release = await undoOnce<ReservationItem>({
    what: `release of ${orderId}`,
    sagaId,
    read: () => getReservation(orderId, store),
    isUndone: (reservation) => reservation.status !== 'RESERVED',
    writeMarker: async () => {
      await store.doc.send(
        new PutCommand({ TableName: store.tableName, Item: emptyReservation(orderId, sagaId, 'RELEASED'), ConditionExpression: 'attribute_not_exists(pk)' }),
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
                ConditionExpression: '#status = :reserved AND sagaId = :saga',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED', ':saga': sagaId },
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
  return { reservationId: reservationIdOf(orderId), release };
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

/** The step's first outcome, for another delivery of it by the same saga. */
function replayReservation(existing: ReservationItem, sagaId: string): ReserveResult {
  if (existing.sagaId !== sagaId) throw new DuplicateOrder(existing.orderId, existing.sagaId ?? 'unknown', 'its inventory is reserved by another saga');
  if (existing.status === 'REJECTED' && existing.rejection) throw rejectionError(existing.rejection);
  if (existing.status !== 'RESERVED') {
    throw new OrderClosed(existing.orderId, 'its inventory reservation was already released');
  }
  return { reservationId: existing.reservationId, total: existing.total };
}

function emptyReservation(orderId: string, sagaId: string, status: 'RELEASED' | 'REJECTED'): ReservationItem {
  return { pk: Keys.reservation(orderId), orderId, sagaId, reservationId: reservationIdOf(orderId), status, items: [], total: 0 };
}
