import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogueItem } from './inventory';
import type { CustomerAccount } from './payments';
import { Keys, type ServiceStore } from './store';

/** A demo catalogue: prices in cents. */
export const DemoCatalogue: readonly CatalogueItem[] = [
  { sku: 'SKU-KEYBOARD', price: 4_999, stock: 50 },
  { sku: 'SKU-MOUSE', price: 1_999, stock: 100 },
  { sku: 'SKU-MONITOR', price: 18_999, stock: 10 },
  { sku: 'SKU-WEBCAM', price: 5_999, stock: 1 },
];

/** Demo customers: available credit in cents. */
export const DemoCustomers: readonly CustomerAccount[] = [
  { customerId: 'cus-ada', credit: 100_000 },
  { customerId: 'cus-grace', credit: 50_000 },
  { customerId: 'cus-broke', credit: 500 },
];

async function batchPut(store: ServiceStore, items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round > 10) throw new Error(`seeding ${store.tableName}: writes kept being throttled`);
      const out = await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: requests } }));
      requests = (out.UnprocessedItems?.[store.tableName] ?? []) as typeof requests;
    }
  }
}

/** Puts (overwrites) catalogue entries in the inventory table. */
export async function seedCatalogue(items: readonly CatalogueItem[], inventory: ServiceStore): Promise<void> {
  await batchPut(
    inventory,
    items.map((item) => ({ pk: Keys.sku(item.sku), ...item })),
  );
}

/** Puts (overwrites) customer accounts in the payments table. */
export async function seedCustomers(customers: readonly CustomerAccount[], payments: ServiceStore): Promise<void> {
  await batchPut(
    payments,
    customers.map((customer) => ({ pk: Keys.customer(customer.customerId), ...customer })),
  );
}
