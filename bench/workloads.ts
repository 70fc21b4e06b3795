import type { PlaceOrder } from '../lambdas/schemas';
import { generateWorkload, type Workload } from '../cli/workload';
import { undeliverable } from '../lambdas/domain/shipping';

/** The bench's two workloads: every saga succeeds, or the soak's mix of rejections, faults and bad input. */
export type WorkloadKind = 'happy' | 'mixed';

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['happy', 'mixed'];

/**
 * A workload for one measurement. `mixed` is the soak's (scarce stock and credit, 40 % of sagas with faults, 3 %
 * malformed orders) without Timeout faults, which would measure the function timeout rather than the runtime.
 * `happy` takes the same orders with enough stock and credit for all, no faults, no malformed lines and no address
 * the carrier cannot deliver to (such orders are collected at the store instead).
 */
export function benchWorkload(kind: WorkloadKind, sagas: number, seed: number): Workload {
  const generated = generateWorkload({ sagas, seed, timeouts: false, ...(kind === 'happy' ? { faultRate: 0 } : {}) });
  // Executions named for their order: a console-style UUID name would be the same in every relabelled copy.
  const base = { ...generated, orders: generated.orders.map((order) => ({ name: order.input.orderId, input: order.input })) };
  if (kind === 'mixed') return base;
  return {
    ...base,
    catalogue: base.catalogue.map((item) => ({ ...item, stock: item.stock * 100 })),
    customers: base.customers.map((customer) => ({ ...customer, credit: customer.credit * 100 })),
    orders: base.orders.map((order) => {
      const { shipTo, ...rest } = order.input;
      const input: PlaceOrder = {
        ...rest,
        ...(shipTo && !undeliverable(shipTo) ? { shipTo } : {}),
        items: order.input.items.map((line) => ({ ...line, quantity: Math.max(1, line.quantity) })),
      };
      return { name: order.input.orderId, input };
    }),
  };
}

/**
 * The same workload under other ids: every SKU, customer and order id carries the seed (`SKU-<seed>-3`), so a
 * textual replacement of `-<seed>-` by `-<seed><tag>-` gives fresh keys for a measurement that must not meet the records of another.
 */
export function relabel<T>(value: T, seed: number, from: string, to: string): T {
  return JSON.parse(JSON.stringify(value).split(`-${seed}${from}-`).join(`-${seed}${to}-`)) as T;
}
