import { attemptCounter } from './domain/store';
import { reserveInventory } from './domain/inventory';
import { makeHandler } from './handler';
import { reserveInventoryInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const inventory = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'ReserveInventory',
  schema: reserveInventoryInput,
  countAttempt: attemptCounter(inventory),
  action: (state, sagaId) => reserveInventory(state, sagaId, inventory),
});
