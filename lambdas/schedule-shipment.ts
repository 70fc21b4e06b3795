import { attemptCounter } from './domain/store';
import { scheduleShipment } from './domain/shipping';
import { makeHandler } from './handler';
import { scheduleShipmentInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const shipping = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'ScheduleShipment',
  schema: scheduleShipmentInput,
  countAttempt: attemptCounter(shipping),
  action: (state, sagaId) => scheduleShipment({ orderId: state.orderId, items: state.items, shipTo: state.shipTo }, sagaId, shipping),
});
