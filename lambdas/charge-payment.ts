import { attemptCounter } from './domain/store';
import { chargePayment } from './domain/payments';
import { makeHandler } from './handler';
import { chargePaymentInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const payments = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'ChargePayment',
  schema: chargePaymentInput,
  countAttempt: attemptCounter(payments),
  action: (state, sagaId) =>
    chargePayment(
      { orderId: state.orderId, customerId: state.customerId, amount: state.results.ReserveInventory.Payload.total },
      sagaId,
      payments,
    ),
});
