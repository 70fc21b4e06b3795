import { createDocumentClient } from './clients';
import { requireEnv } from './env';
import type { ServiceStore } from './domain/store';

/**
 * The store of the service a function belongs to, from its `TABLE_NAME`. Created once per container, at module
 * scope, by each handler file.
 */
export function serviceStoreFromEnv(): ServiceStore {
  return { doc: createDocumentClient(), tableName: requireEnv('TABLE_NAME') };
}
