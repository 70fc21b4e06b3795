import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttemptCounter } from '../faults';

/** One service's table and the client to reach it. Every item is keyed by a string `pk`. */
export interface ServiceStore {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Key prefixes of the items in the services' tables. */
export const Keys = {
  sku: (sku: string) => `SKU#${sku}`,
  reservation: (orderId: string) => `RESERVATION#${orderId}`,
  customer: (customerId: string) => `CUSTOMER#${customerId}`,
  charge: (orderId: string) => `CHARGE#${orderId}`,
  order: (orderId: string) => `ORDER#${orderId}`,
  faultAttempts: (orderId: string, step: string) => `FAULT#${orderId}#${step}`,
} as const;

/** Counts fault-injection attempts in the service's own table (only used when fault injection is enabled). */
export function attemptCounter(store: ServiceStore): AttemptCounter {
  return async (orderId, step) => {
    const out = await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: Keys.faultAttempts(orderId, step) },
        UpdateExpression: 'ADD attempts :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.attempts ?? 1);
  };
}
