import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ServiceStore } from '../../../lambdas/domain/store';
import { uniqueId } from '../../helpers/tables';

/** A fresh saga id for this test, shaped like the execution ARN the state machine passes (`$$.Execution.Id`). */
export function newSagaId(): string {
  return `arn:aws:states:us-east-1:000000000000:execution:OrderSaga:${uniqueId('exec')}`;
}

/** The whole stored item under `pk`, key and all, read strongly consistent: to compare a record before and after. */
export async function rawItem(store: ServiceStore, pk: string): Promise<Record<string, unknown> | undefined> {
  const out = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk }, ConsistentRead: true }));
  return out.Item;
}
