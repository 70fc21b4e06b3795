import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DuplicateOrder, OrderClosed, PaymentDeclined, TransientError, UnknownCustomer } from '../errors';
import { asTransient } from '../store';
import { conditionFailed, Keys, rejectionError, undoOnce, type Owned, type RecordedRejection, type ServiceStore, type UndoOutcome } from './store';

/** A customer's payment account: available credit in cents. */
export interface CustomerAccount {
  readonly customerId: string;
  readonly credit: number;
}

/**
 * CHARGED holds credit; REFUNDED gave it back (or marks a charge that never committed); DECLINED records a business
 * rejection, so that a late delivery of the step gets the same rejection instead of committing.
 */
export type ChargeStatus = 'CHARGED' | 'REFUNDED' | 'DECLINED';

interface ChargeItem extends Owned {
  pk: string;
  orderId: string;
  /** The saga (execution ARN) that wrote the record. */
  sagaId: string;
  chargeId: string;
  customerId: string;
  amount: number;
  status: ChargeStatus;
  rejection?: RecordedRejection;
}

export interface ChargeRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: number;
}

export interface ChargeResult {
  readonly chargeId: string;
  readonly amount: number;
}

export interface RefundResult {
  readonly chargeId: string;
  /** What the refund did; `not-owned` names the saga the charge belongs to. */
  readonly refund: UndoOutcome;
}

const chargeIdOf = (orderId: string) => `chg-${orderId}`;

/**
 * ChargePayment for saga `sagaId`: in one transaction takes `amount` from the customer's credit (on the condition
 * that enough is available) and writes the charge owned by the saga (on the condition that none exists yet). A
 * rejection is recorded on the same condition, so the first outcome is final and replayed to every other delivery
 * of the step. A charge of another saga is neither replayed nor touched: `DuplicateOrder`.
 */
export async function chargePayment(request: ChargeRequest, sagaId: string, store: ServiceStore): Promise<ChargeResult> {
  const existing = await getCharge(request.orderId, store);
  if (existing) return replayCharge(existing, sagaId);

  const account = await getAccount(request.customerId, store);
  if (!account) return decline(request, sagaId, new UnknownCustomer(request.customerId), store);
  if (account.credit < request.amount) return decline(request, sagaId, new PaymentDeclined(request.customerId, request.amount, account.credit), store);

  const charge: ChargeItem = {
    pk: Keys.charge(request.orderId),
    orderId: request.orderId,
    sagaId,
    chargeId: chargeIdOf(request.orderId),
    customerId: request.customerId,
    amount: request.amount,
    status: 'CHARGED',
  };
  try {
    await store.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: store.tableName,
              Key: { pk: Keys.customer(request.customerId) },
              UpdateExpression: 'SET credit = credit - :amount',
              ConditionExpression: 'attribute_exists(pk) AND credit >= :amount',
              ExpressionAttributeValues: { ':amount': request.amount },
            },
          },
          { Put: { TableName: store.tableName, Item: charge, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
  } catch (err: unknown) {
    if (conditionFailed(err, 1)) {
      const raced = await getCharge(request.orderId, store);
      if (raced) return replayCharge(raced, sagaId);
    }
    if (conditionFailed(err, 0)) {
      const now = await getAccount(request.customerId, store);
      const rejection = now ? new PaymentDeclined(request.customerId, request.amount, now.credit) : new UnknownCustomer(request.customerId);
      return decline(request, sagaId, rejection, store);
    }
    throw asTransient(err);
  }
  return { chargeId: charge.chargeId, amount: charge.amount };
}

/**
 * Records a decline as the step's outcome, then raises it. If another delivery of the step recorded an outcome
 * first, that outcome is replayed instead.
 */
async function decline(request: ChargeRequest, sagaId: string, rejection: Error, store: ServiceStore): Promise<ChargeResult> {
  const marker: ChargeItem = {
    ...emptyCharge(request.orderId, request.customerId, sagaId, 'DECLINED'),
    rejection: { error: rejection.name, message: rejection.message },
  };
  try {
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (err: unknown) {
    if (!conditionFailed(err)) throw asTransient(err);
    const raced = await getCharge(request.orderId, store);
    if (raced) return replayCharge(raced, sagaId);
    throw new TransientError(`charge of ${request.orderId} changed while it was declined; retry`);
  }
  throw rejection;
}

/**
 * RefundPayment for saga `sagaId`: gives the charged amount back to the customer exactly once and marks the charge
 * REFUNDED. When there is no charge, it writes a REFUNDED marker owned by the saga so that a late ChargePayment
 * cannot commit. A charge of another saga is left alone, and the result says whose it is.
 */
export async function refundPayment(orderId: string, customerId: string, sagaId: string, store: ServiceStore): Promise<RefundResult> {
  const refund = await undoOnce<ChargeItem>({
    what: `refund of ${orderId}`,
    sagaId,
    read: () => getCharge(orderId, store),
    isUndone: (charge) => charge.status !== 'CHARGED',
    writeMarker: async () => {
      const marker = emptyCharge(orderId, customerId, sagaId, 'REFUNDED');
      await store.doc.send(new PutCommand({ TableName: store.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }));
    },
    undo: async (charge) => {
      await store.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: store.tableName,
                Key: { pk: charge.pk },
                UpdateExpression: 'SET #status = :refunded',
                ConditionExpression: '#status = :charged AND sagaId = :saga',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':refunded': 'REFUNDED', ':charged': 'CHARGED', ':saga': sagaId },
              },
            },
            {
              Update: {
                TableName: store.tableName,
                Key: { pk: Keys.customer(charge.customerId) },
                UpdateExpression: 'ADD credit :amount',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':amount': charge.amount },
              },
            },
          ],
        }),
      );
    },
  });
  return { chargeId: chargeIdOf(orderId), refund };
}

/** Reads a customer's account, if any. */
export async function getAccount(customerId: string, store: ServiceStore): Promise<CustomerAccount | undefined> {
  const out = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { pk: Keys.customer(customerId) }, ConsistentRead: true }),
  );
  return out.Item ? { customerId, credit: Number(out.Item.credit) } : undefined;
}

/** Reads an order's charge, if any. */
export async function getCharge(orderId: string, store: ServiceStore): Promise<ChargeItem | undefined> {
  const out = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { pk: Keys.charge(orderId) }, ConsistentRead: true }),
  );
  return out.Item as ChargeItem | undefined;
}

/** The step's first outcome, for another delivery of it by the same saga. */
function replayCharge(existing: ChargeItem, sagaId: string): ChargeResult {
  if (existing.sagaId !== sagaId) throw new DuplicateOrder(existing.orderId, existing.sagaId ?? 'unknown', 'its payment is charged by another saga');
  if (existing.status === 'DECLINED' && existing.rejection) throw rejectionError(existing.rejection);
  if (existing.status !== 'CHARGED') throw new OrderClosed(existing.orderId, 'its payment was already refunded');
  return { chargeId: existing.chargeId, amount: existing.amount };
}

function emptyCharge(orderId: string, customerId: string, sagaId: string, status: 'REFUNDED' | 'DECLINED'): ChargeItem {
  return { pk: Keys.charge(orderId), orderId, sagaId, chargeId: chargeIdOf(orderId), customerId, amount: 0, status };
}
