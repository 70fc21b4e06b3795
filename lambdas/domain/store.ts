import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { errorNamed, isErrorName, TransientError } from '../errors';
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
  shipment: (orderId: string) => `SHIPMENT#${orderId}`,
  faultAttempts: (sagaId: string, step: string) => `FAULT#${sagaId}#${step}`,
} as const;

/** Counts fault-injection attempts in the service's own table (only used when fault injection is enabled). */
export function attemptCounter(store: ServiceStore): AttemptCounter {
  return async (sagaId, step) => {
    const out = await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: Keys.faultAttempts(sagaId, step) },
        UpdateExpression: 'ADD attempts :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.attempts ?? 1);
  };
}

/** Every record a saga writes names the saga: its execution ARN. */
export interface Owned {
  readonly sagaId?: string;
}

/**
 * What a compensation did, in its result (and so in the execution's history):
 * - `undone`: it undid this saga's record;
 * - `already-undone`: the record was undone (or rejected) before; nothing written;
 * - `nothing-to-undo`: the step never committed; a marker now stops a late delivery of it from committing;
 * - `not-owned`: the record belongs to another saga (`owner`), which this one leaves alone.
 */
export type UndoOutcome =
  | { readonly outcome: 'undone' | 'already-undone' | 'nothing-to-undo' }
  | { readonly outcome: 'not-owned'; readonly owner: string };

/** How to undo one step's record, for {@link undoOnce}. */
export interface Undo<T extends Owned> {
  /** What is undone, for the error when racing never ends (`release of ord-1`). */
  readonly what: string;
  /** The saga undoing its step; a record of another saga is never touched. */
  readonly sagaId: string;
  /** Reads the step's record, if any (strongly consistent). */
  read(): Promise<T | undefined>;
  isUndone(record: T): boolean;
  /** Writes an undone marker owned by `sagaId`, on the condition that there is no record yet. */
  writeMarker(): Promise<void>;
  /**
   * Undoes the record in one transaction whose first item is conditioned on the record being `sagaId`'s and not
   * undone yet.
   */
  undo(record: T): Promise<void>;
}

/**
 * Undoes a saga's step exactly once, however often it is called and however its calls race: a record of another
 * saga is left alone; an undone record is left alone; a missing record gets an undone marker owned by this saga,
 * so that a late, still-running step can no longer commit; a live record is undone. A lost race on a condition
 * reads again and decides again.
 */
export async function undoOnce<T extends Owned>(undo: Undo<T>): Promise<UndoOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = await undo.read();
    if (record && record.sagaId !== undo.sagaId) return { outcome: 'not-owned', owner: record.sagaId ?? 'unknown' };
    if (record && undo.isUndone(record)) return { outcome: 'already-undone' };
    try {
      await (record ? undo.undo(record) : undo.writeMarker());
      return { outcome: record ? 'undone' : 'nothing-to-undo' };
    } catch (err: unknown) {
      if (conditionFailed(err)) continue;
      throw asTransient(err);
    }
  }
  throw new TransientError(`${undo.what} kept racing; retry`);
}

/** A business rejection as a marker records it, so that every later delivery of the step gets it again. */
export interface RecordedRejection {
  readonly error: string;
  readonly message: string;
}

/** The recorded rejection, rebuilt as the named error it was. */
export function rejectionError(rejection: RecordedRejection): Error {
  return isErrorName(rejection.error) ? errorNamed(rejection.error, rejection.message) : new Error(rejection.message);
}

/** True when a write failed only because of its condition (alone, or the first item of a transaction). */
export function conditionFailed(err: unknown, item = 0): boolean {
  return err instanceof ConditionalCheckFailedException || cancellationCodes(err)?.[item] === 'ConditionalCheckFailed';
}
