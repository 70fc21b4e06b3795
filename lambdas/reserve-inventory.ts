import { attemptCounter } from './domain/store';
import { reserveInventory } from './domain/inventory';
import { makeHandler } from './handler';
import { placeOrder } from './schemas';
import { serviceStoreFromEnv } from './services';

const inventory = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'ReserveInventory',
  schema: placeOrder,
  countAttempt: attemptCounter(inventory),
  refuseFaultsWhenDisabled: true,
  action: (order) => reserveInventory(order, inventory),
});
