import { attemptCounter } from './domain/store';
import { cancelOrder } from './domain/orders';
import { makeHandler } from './handler';
import { compensationInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const orders = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'CancelOrder',
  schema: compensationInput,
  countAttempt: attemptCounter(orders),
  action: (state, sagaId) =>
    cancelOrder(
      {
        orderId: state.orderId,
        customerId: state.customerId,
        items: state.items,
        failure: state.failure ?? { step: 'unknown', error: 'unknown' },
      },
      sagaId,
      orders,
    ),
});
