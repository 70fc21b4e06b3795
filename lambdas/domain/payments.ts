import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { OrderClosed, PaymentDeclined, UnknownCustomer } from '../errors';
import { asTransient, cancellationCodes } from '../store';
import { Keys, undoOnce, type ServiceStore } from './store';

/** A customer's payment account: available credit in cents. */
export interface CustomerAccount {
  readonly customerId: string;
  readonly credit: number;
}

export type ChargeStatus = 'CHARGED' | 'REFUNDED';

interface ChargeItem {
  pk: string;
  orderId: string;
  chargeId: string;
  customerId: string;
  amount: number;
  status: ChargeStatus;
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
  readonly status: 'REFUNDED';
}

const chargeIdOf = (orderId: string) => `chg-${orderId}`;

/**
 * ChargePayment: in one transaction takes `amount` from the customer's credit (on the condition that enough is
 * available) and writes the charge (on the condition that none exists yet). Idempotent by orderId.
 */
export async function chargePayment(request: ChargeRequest, store: ServiceStore): Promise<ChargeResult> {
  const existing = await getCharge(request.orderId, store);
  if (existing) return replayCharge(existing);

  // A decline must not be caused by this very order: another delivery of the same call may have committed since
  // we looked. Decline only if there is still no charge for the order.
  const declineUnlessCharged = async (decline: Error): Promise<ChargeResult> => {
    const raced = await getCharge(request.orderId, store);
    if (raced) return replayCharge(raced);
    throw decline;
  };

  const account = await getAccount(request.customerId, store);
  if (!account) throw new UnknownCustomer(request.customerId);
  if (account.credit < request.amount) return declineUnlessCharged(new PaymentDeclined(request.customerId, request.amount, account.credit));

  const charge: ChargeItem = {
    pk: Keys.charge(request.orderId),
    orderId: request.orderId,
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
    const codes = cancellationCodes(err);
    if (codes?.[1] === 'ConditionalCheckFailed') {
      const raced = await getCharge(request.orderId, store);
      if (raced) return replayCharge(raced);
    }
    if (codes?.[0] === 'ConditionalCheckFailed') {
      const now = await getAccount(request.customerId, store);
      if (!now) throw new UnknownCustomer(request.customerId);
      return declineUnlessCharged(new PaymentDeclined(request.customerId, request.amount, now.credit));
    }
    throw asTransient(err);
  }
  return { chargeId: charge.chargeId, amount: charge.amount };
}

/**
 * RefundPayment: gives the charged amount back to the customer exactly once and marks the charge REFUNDED.
 * When there is no charge, it writes a REFUNDED marker so that a late ChargePayment for the order cannot commit.
 */
export async function refundPayment(orderId: string, customerId: string, store: ServiceStore): Promise<RefundResult> {
  await undoOnce<ChargeItem>({
    what: `refund of ${orderId}`,
    read: () => getCharge(orderId, store),
    isUndone: (charge) => charge.status === 'REFUNDED',
    writeMarker: async () => {
      const marker: ChargeItem = { pk: Keys.charge(orderId), orderId, chargeId: chargeIdOf(orderId), customerId, amount: 0, status: 'REFUNDED' };
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
                ConditionExpression: '#status = :charged',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':refunded': 'REFUNDED', ':charged': 'CHARGED' },
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
  return { chargeId: chargeIdOf(orderId), status: 'REFUNDED' };
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

function replayCharge(existing: ChargeItem): ChargeResult {
  if (existing.status !== 'CHARGED') throw new OrderClosed(existing.orderId, 'its payment was already refunded');
  return { chargeId: existing.chargeId, amount: existing.amount };
}
