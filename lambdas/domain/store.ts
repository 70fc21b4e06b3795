import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../errors';
import type { AttemptCounter } from '../faults';
import { asTransient, cancellationCodes } from '../store';

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

/** How to undo one step's record, for {@link undoOnce}. */
export interface Undo<T> {
  /** What is undone, for the error when racing never ends (`release of ord-1`). */
  readonly what: string;
  /** Reads the step's record, if any (strongly consistent). */
  read(): Promise<T | undefined>;
  isUndone(record: T): boolean;
  /** Writes an undone marker, on the condition that there is no record yet. */
  writeMarker(): Promise<void>;
  /** Undoes the record in one transaction whose first item is conditioned on the record not being undone yet. */
  undo(record: T): Promise<void>;
}

/**
 * Undoes a step exactly once, however often it is called and however its calls race: an undone record is left
 * alone; a missing record gets an undone marker, so that a late, still-running step can no longer commit; a live
 * record is undone. A lost race on a condition reads again and decides again.
 */
export async function undoOnce<T>(undo: Undo<T>): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = await undo.read();
    if (record && undo.isUndone(record)) return;
    try {
      await (record ? undo.undo(record) : undo.writeMarker());
      return;
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException || cancellationCodes(err)?.[0] === 'ConditionalCheckFailed') continue;
      throw asTransient(err);
    }
  }
  throw new TransientError(`${undo.what} kept racing; retry`);
}
