import { attemptCounter } from './domain/store';
import { releaseInventory } from './domain/inventory';
import { makeHandler } from './handler';
import { compensationInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const inventory = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'ReleaseInventory',
  schema: compensationInput,
  countAttempt: attemptCounter(inventory),
  action: (state, sagaId) => releaseInventory(state.orderId, sagaId, inventory),
});
