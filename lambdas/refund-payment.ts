import { attemptCounter } from './domain/store';
import { refundPayment } from './domain/payments';
import { makeHandler } from './handler';
import { compensationInput } from './schemas';
import { serviceStoreFromEnv } from './services';

const payments = serviceStoreFromEnv();

export const handler = makeHandler({
  step: 'RefundPayment',
  schema: compensationInput,
  countAttempt: attemptCounter(payments),
  action: (state, sagaId) => refundPayment(state.orderId, state.customerId, sagaId, payments),
});
