import { attemptCounter } from './domain/store';
import { cancelShipment } from './domain/shipping';
import { makeHandler } from './handler';
import { compensationInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const shipping = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'CancelShipment',
  schema: compensationInput,
  countAttempt: attemptCounter(shipping),
  action: (state, sagaId) => cancelShipment(state.orderId, state.items, sagaId, shipping),
});
