import { attemptCounter } from './domain/store';
import { createOrder } from './domain/orders';
import { makeHandler } from './handler';
import { placeOrder } from './schemas';
import { serviceStoreFromEnv } from './services';

const orders = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'CreateOrder',
  schema: placeOrder,
  countAttempt: attemptCounter(orders),
  refuseFaultsWhenDisabled: true,
  action: (order, sagaId) => createOrder({ orderId: order.orderId, customerId: order.customerId, items: order.items, shipTo: order.shipTo }, sagaId, orders),
});
