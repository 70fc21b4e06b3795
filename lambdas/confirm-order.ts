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
  action: (state, sagaId) =>
    confirmOrder(
      {
        orderId: state.orderId,
        total: state.results.ReserveInventory.Payload.total,
        reservationId: state.results.ReserveInventory.Payload.reservationId,
        chargeId: state.results.ChargePayment.Payload.chargeId,
        shipmentId: state.results.ScheduleShipment.Payload.shipmentId,
      },
      sagaId,
      orders,
    ),
});
