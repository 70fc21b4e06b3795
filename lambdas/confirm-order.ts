import { attemptCounter } from './domain/store';
import { confirmOrder } from './domain/orders';
import { makeHandler } from './handler';
import { confirmOrderInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const orders = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'ConfirmOrder',
  schema: confirmOrderInput,
  countAttempt: attemptCounter(orders),
  action: (state) =>
    confirmOrder(
      {
        orderId: state.orderId,
        customerId: state.customerId,
        items: state.items,
        total: state.results.ReserveInventory.Payload.total,
        reservationId: state.results.ReserveInventory.Payload.reservationId,
        chargeId: state.results.ChargePayment.Payload.chargeId,
      },
      orders,
    ),
});
