import { createTables, dynamoDbEnvironment, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';
import { testTableDefinitions } from './tables';

declare global {
  var __dynamoDbLocal: DynamoDbLocal | undefined;
}

/** Starts one DynamoDB Local for the whole test run; test workers inherit its endpoint through the environment. */
export default async function globalSetup(): Promise<void> {
  const db = await startDynamoDbLocal();
  globalThis.__dynamoDbLocal = db;
  Object.assign(process.env, dynamoDbEnvironment(db.endpoint));
  // Handlers log every step; keep test output to what failed.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  await createTables(db.endpoint, testTableDefinitions);
}
