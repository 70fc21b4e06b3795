import { loadSynthesizedStack } from '../../local/cloud-assembly';
import { createTables, dynamoDbEnvironment, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';
import { testTableDefinitions } from './tables';

declare global {
  var __dynamoDbLocal: DynamoDbLocal | undefined;
}

/** The context the end-to-end tests synthesize the stack with. */
export const E2E_CONTEXT = { faultInjection: 'true' } as const;

/**
 * Starts one DynamoDB Local for the whole test run (test workers inherit its endpoint through the environment)
 * and synthesizes the stack once, so that test files running in parallel only read the cloud assembly.
 */
export default async function globalSetup(): Promise<void> {
  const [db] = await Promise.all([startDynamoDbLocal(), loadSynthesizedStack({ context: E2E_CONTEXT })]);
  globalThis.__dynamoDbLocal = db;
  Object.assign(process.env, dynamoDbEnvironment(db.endpoint));
  // Handlers log every step; keep test output to what failed.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  await createTables(db.endpoint, testTableDefinitions);
}
