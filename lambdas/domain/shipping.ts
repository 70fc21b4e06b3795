import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DuplicateOrder, OrderClosed, TransientError, UndeliverableAddress } from '../errors';
import type { OrderLine, ShippingAddress } from '../schemas';
import { asTransient } from '../store';
import { conditionFailed, Keys, rejectionError, undoOnce, type Owned, type RecordedRejection, type ServiceStore, type UndoOutcome } from './store';

/** The countries the carrier delivers to. */
export const DeliverableCountries: readonly string[] = ['GB', 'IE', 'FR', 'DE', 'NL', 'BE', 'LU', 'ES', 'PT', 'IT', 'AT', 'DK'];

/**
 * SCHEDULED books the carrier (or a collection at the store); CANCELLED cancelled it (or marks a shipment that
 * never committed); REJECTED records a business rejection, so that a late delivery of the step gets the same
 * rejection instead of committing.
 */
export type ShipmentStatus = 'SCHEDULED' | 'CANCELLED' | 'REJECTED';

/** Delivery to the address of the order, or collection at the store when the order has none. */
export type ShipmentMethod = 'delivery' | 'collection';

interface ShipmentItem extends Owned {
  pk: string;
  orderId: string;
  /** The saga (execution ARN) that wrote the record. */
  sagaId: string;
  shipmentId: string;
  method: ShipmentMethod;
  status: ShipmentStatus;
  items: OrderLine[];
  shipTo?: ShippingAddress;
  rejection?: RecordedRejection;
}

export interface ShipmentRequest {
  readonly orderId: string;
  readonly items: readonly OrderLine[];
  /** Where to deliver; without it the order is collected at the store. */
  readonly shipTo?: ShippingAddress;
}

export interface ShipmentResult {
  readonly shipmentId: string;
  readonly method: ShipmentMethod;
}

export interface CancelShipmentResult {
  readonly shipmentId: string;
  /** What the cancellation did; `not-owned` names the saga the shipment belongs to. */
  readonly cancellation: UndoOutcome;
}

const shipmentIdOf = (orderId: string) => `shp-${orderId}`;

/** Why the carrier cannot deliver to an address, or undefined when it can. */
export function undeliverable(address: ShippingAddress): string | undefined {
  if (!DeliverableCountries.includes(address.country)) return 'the carrier does not deliver to this country';
  if (/^p\.?\s*o\.?\s*box\b/i.test(address.line1)) return 'the carrier does not deliver to PO boxes';
  return undefined;
}

/**
 * ScheduleShipment for saga `sagaId`: books the order's shipment, owned by the saga, on the condition that none
 * exists yet: a delivery to `shipTo`, or a collection at the store when the order has no address. An address the
 * carrier cannot deliver to is rejected (`UndeliverableAddress`) and the rejection recorded on the same condition,
 * so the first outcome is final and replayed to every other delivery of the step. A shipment of another saga is
 * neither replayed nor touched: `DuplicateOrder`.
 */
export async function scheduleShipment(request: ShipmentRequest, sagaId: string, store: ServiceStore): Promise<ShipmentResult> {
  const existing = await getShipment(request.orderId, store);
  if (existing) return replayShipment(existing, sagaId);

  const reason = request.shipTo ? undeliverable(request.shipTo) : undefined;
  const shipment: ShipmentItem = {
    pk: Keys.shipment(request.orderId),
    orderId: request.orderId,
    sagaId,
    shipmentId: shipmentIdOf(request.orderId),
    method: request.shipTo ? 'delivery' : 'collection',
    status: 'SCHEDULED',
    items: [...request.items],
    ...(request.shipTo ? { shipTo: request.shipTo } : {}),
  };
  if (reason !== undefined) {
    const rejection = new UndeliverableAddress(request.shipTo?.country ?? '', reason);
    shipment.status = 'REJECTED';
    shipment.rejection = { error: rejection.name, message: rejection.message };
  }
  try {
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: shipment, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (err: unknown) {
    if (!conditionFailed(err)) throw asTransient(err);
    const raced = await getShipment(request.orderId, store);
    if (raced) return replayShipment(raced, sagaId);
    throw new TransientError(`shipment of ${request.orderId} changed while it was scheduled; retry`);
  }
  return replayShipment(shipment, sagaId);
}

/**
 * CancelShipment for saga `sagaId`: cancels the saga's scheduled shipment exactly once. When there is no shipment,
 * it writes a CANCELLED marker owned by the saga so that a late ScheduleShipment cannot commit. A shipment of
 * another saga is left alone, and the result says whose it is.
 */
export async function cancelShipment(orderId: string, items: readonly OrderLine[], sagaId: string, store: ServiceStore): Promise<CancelShipmentResult> {
  const cancellation = await undoOnce<ShipmentItem>({
    what: `cancellation of the shipment of ${orderId}`,
    sagaId,
    read: () => getShipment(orderId, store),
    isUndone: (shipment) => shipment.status !== 'SCHEDULED',
    writeMarker: async () => {
      const marker: ShipmentItem = {
        pk: Keys.shipment(orderId),
        orderId,
        sagaId,
        shipmentId: shipmentIdOf(orderId),
        method: 'collection',
        status: 'CANCELLED',
        items: [...items],
      };
      await store.doc.send(new PutCommand({ TableName: store.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }));
    },
    undo: async (shipment) => {
      await store.doc.send(
        new UpdateCommand({
          TableName: store.tableName,
          Key: { pk: shipment.pk },
          UpdateExpression: 'SET #status = :cancelled',
          ConditionExpression: '#status = :scheduled AND sagaId = :saga',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'CANCELLED', ':scheduled': 'SCHEDULED', ':saga': sagaId },
        }),
      );
    },
  });
  return { shipmentId: shipmentIdOf(orderId), cancellation };
}

/** Reads an order's shipment, if any. */
export async function getShipment(orderId: string, store: ServiceStore): Promise<ShipmentItem | undefined> {
  const out = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: Keys.shipment(orderId) }, ConsistentRead: true }));
  return out.Item as ShipmentItem | undefined;
}

/** The step's first outcome, for another delivery of it by the same saga. */
function replayShipment(existing: ShipmentItem, sagaId: string): ShipmentResult {
  if (existing.sagaId !== sagaId) throw new DuplicateOrder(existing.orderId, existing.sagaId ?? 'unknown', 'its shipment is booked by another saga');
  if (existing.status === 'REJECTED' && existing.rejection) throw rejectionError(existing.rejection);
  if (existing.status !== 'SCHEDULED') throw new OrderClosed(existing.orderId, 'its shipment was already cancelled');
  return { shipmentId: existing.shipmentId, method: existing.method };
}
