import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../../lambdas/clients';
import type { ServiceStore } from '../../lambdas/domain/store';
import { localDynamoDbClient } from '../../local/dynamodb-local';

/** The four service tables the unit tests share; each test uses its own keys. */
export const TestTables = { inventory: 'test-inventory', payments: 'test-payments', orders: 'test-orders', shipping: 'test-shipping' } as const;

export const testTableDefinitions: CreateTableCommandInput[] = Object.values(TestTables).map((TableName) => ({
  TableName,
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
}));

function endpoint(): string {
  const value = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!value) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run the tests with jest (its global setup starts DynamoDB Local)');
  return value;
}

/** A store for one of the test tables, on the DynamoDB Local the global setup started. */
export function testStore(table: keyof typeof TestTables): ServiceStore {
  return { doc: createDocumentClient(localDynamoDbClient(endpoint())), tableName: TestTables[table] };
}

/** A fresh id for this test, so tests never share keys. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
