import { getCatalogue, getReservation } from '../../lambdas/domain/inventory';
import { getAccount, getCharge } from '../../lambdas/domain/payments';
import { getOrder } from '../../lambdas/domain/orders';
import { getShipment } from '../../lambdas/domain/shipping';
import { seedCatalogue, seedCustomers } from '../../lambdas/domain/seed';
import type { PlaceOrder } from '../../lambdas/schemas';
import { orderStores, type OrderStores } from '../../cli/stores';
import { LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';
import { E2E_CONTEXT } from './global-setup';
import { uniqueId } from './tables';

/**
 * The order saga on the local runtime, against the test run's DynamoDB Local, with time scaled down:
 * functions time out after 2 s instead of 10 s (Tasks after 3 s), and retries wait 5 ms.
 */
export async function startSagaRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<{ runtime: LocalRuntime; stores: OrderStores }> {
  const runtime = await LocalRuntime.start({
    context: E2E_CONTEXT,
    synth: 'never',
    dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    timeoutScale: 0.2,
    retryDelayMs: 5,
    ...options,
  });
  const stores = orderStores(runtime);
  // Warm one worker per function so that cold starts do not eat into the scaled-down Task timeouts.
  await runtime.warmUp();
  return { runtime, stores };
}

/** A shop of its own for one test: fresh SKUs and a customer, so tests never share keys. */
export async function openShop(stores: OrderStores, opts: { stock?: number; price?: number; credit?: number } = {}) {
  const sku = uniqueId('SKU');
  const other = uniqueId('SKU');
  const customerId = uniqueId('cus');
  const stock = opts.stock ?? 10;
  const credit = opts.credit ?? 100_000;
  await seedCatalogue(
    [
      { sku, price: opts.price ?? 1_000, stock },
      { sku: other, price: 250, stock },
    ],
    stores.inventory,
  );
  await seedCustomers([{ customerId, credit }], stores.payments);
  const order = (extra: Partial<PlaceOrder> = {}): PlaceOrder => ({
    orderId: uniqueId('ord'),
    customerId,
    items: [
      { sku, quantity: 2 },
      { sku: other, quantity: 1 },
    ],
    ...extra,
  });
  const state = async (orderId: string) => {
    const catalogue = await getCatalogue([sku, other], stores.inventory);
    return {
      stock: [catalogue.get(sku)?.stock, catalogue.get(other)?.stock],
      credit: (await getAccount(customerId, stores.payments))?.credit,
      order: await getOrder(orderId, stores.orders),
      reservation: (await getReservation(orderId, stores.inventory))?.status,
      charge: (await getCharge(orderId, stores.payments))?.status,
      shipment: (await getShipment(orderId, stores.shipping))?.status,
    };
  };
  return { sku, other, customerId, stock, credit, order, state };
}
