import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/clients';
import { DemoCatalogue, DemoCustomers, seedCatalogue, seedCustomers } from '../lambdas/domain/seed';
import type { ServiceStore } from '../lambdas/domain/store';
import { OrderSaga, type ServiceName } from '../lambdas/order-saga';
import { localDynamoDbClient } from '../local/dynamodb-local';
import type { LocalRuntime } from '../local/runtime';

/** The services' stores of a local runtime, found by the stack's outputs. */
export type OrderStores = Readonly<Record<ServiceName, ServiceStore>>;

export function orderStores(runtime: LocalRuntime): OrderStores {
  const doc = createDocumentClient(localDynamoDbClient(runtime.dynamoDbEndpoint, runtime.stack.region));
  const table = (output: string) => {
    const name = runtime.stack.outputs[output];
    if (!name) throw new Error(`the stack has no ${output} output`);
    return { doc, tableName: name };
  };
  return Object.fromEntries(Object.entries(OrderSaga.services).map(([service, { output }]) => [service, table(output)])) as Record<ServiceName, ServiceStore>;
}

/** Puts the demo catalogue and customers into the local tables. */
export async function seedDemoData(stores: OrderStores): Promise<void> {
  await seedCatalogue(DemoCatalogue, stores.inventory);
  await seedCustomers(DemoCustomers, stores.payments);
}

/** Every item of a table, or those whose key starts with `prefix` (strongly consistent, all pages). */
export async function scanAll(store: ServiceStore, prefix?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await store.doc.send(
      new ScanCommand({
        TableName: store.tableName,
        ...(prefix ? { FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': prefix } } : {}),
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What the stores hold now: stock per SKU, credit per customer, status per order. */
export interface StoreSnapshot {
  readonly stock: Record<string, number>;
  readonly credit: Record<string, number>;
  readonly orders: Record<string, { status: string; failure?: string }>;
  readonly activeReservations: string[];
  readonly activeCharges: string[];
  readonly activeShipments: string[];
}

export async function snapshot(stores: OrderStores): Promise<StoreSnapshot> {
  const [skus, customers, orders, reservations, charges, shipments] = await Promise.all([
    scanAll(stores.inventory, 'SKU#'),
    scanAll(stores.payments, 'CUSTOMER#'),
    scanAll(stores.orders, 'ORDER#'),
    scanAll(stores.inventory, 'RESERVATION#'),
    scanAll(stores.payments, 'CHARGE#'),
    scanAll(stores.shipping, 'SHIPMENT#'),
  ]);
  return {
    stock: Object.fromEntries(skus.map((i) => [String(i.sku), Number(i.stock)])),
    credit: Object.fromEntries(customers.map((i) => [String(i.customerId), Number(i.credit)])),
    orders: Object.fromEntries(
      orders.map((i) => {
        const failure = i.failure as { step?: string; error?: string } | undefined;
        return [String(i.orderId), { status: String(i.status), ...(failure ? { failure: `${failure.step}: ${failure.error}` } : {}) }];
      }),
    ),
    activeReservations: reservations.filter((i) => i.status === 'RESERVED').map((i) => String(i.orderId)),
    activeCharges: charges.filter((i) => i.status === 'CHARGED').map((i) => String(i.orderId)),
    activeShipments: shipments.filter((i) => i.status === 'SCHEDULED').map((i) => String(i.orderId)),
  };
}
