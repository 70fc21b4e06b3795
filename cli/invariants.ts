import type { OrderLine } from '../lambdas/schemas';
import type { LocalMessage } from '../local/local-queues';
import type { ExecutionResult } from '../local/runtime';
import { scanAll, type OrderStores } from './stores';

/** What the stores held before the workload, and what ran. */
export interface InvariantInput {
  readonly initialStock: Readonly<Record<string, number>>;
  readonly initialCredit: Readonly<Record<string, number>>;
  readonly executions: readonly { readonly input: unknown; readonly result: ExecutionResult }[];
  readonly messages: readonly LocalMessage[];
}

export interface InvariantReport {
  readonly violations: string[];
  readonly counts: {
    readonly executions: number;
    readonly confirmed: number;
    readonly cancelled: number;
    readonly rejectedInput: number;
    readonly compensationFailures: number;
  };
}

/** An item's status for a message: `missing` when there is no item. */
const statusOf = (item: Record<string, unknown> | undefined) => (typeof item?.status === 'string' ? item.status : 'missing');

const byPrefix = (items: Record<string, unknown>[], prefix: string) => items.filter((i) => String(i.pk).startsWith(prefix));

/**
 * Checks the saga's invariants over whole tables (so the stores must hold only this workload's data):
 * - stock at start = stock now + quantities still reserved, per SKU, never negative; a reservation is still held
 *   only by a CONFIRMED order or by an order whose ReleaseInventory failure is on the queue;
 * - credit at start = credit now + amounts still charged, per customer, never negative; a charge is still held only
 *   by a CONFIRMED order or by an order whose RefundPayment failure is on the queue;
 * - every valid order ends exactly once, CONFIRMED (its execution succeeded) or CANCELLED (it failed), unless its
 *   CancelOrder failure is on the queue; a malformed order writes nothing;
 * - a CONFIRMED order has exactly one reservation and one charge, matching its items and total;
 * - every compensation that failed for good is on the queue, once, and nothing else is.
 * Without compensation failures the first two reduce to: stock (credit) at start = now + CONFIRMED quantities (totals).
 */
export async function checkInvariants(stores: OrderStores, input: InvariantInput): Promise<InvariantReport> {
  const [inventory, payments, orders] = await Promise.all([scanAll(stores.inventory), scanAll(stores.payments), scanAll(stores.orders)]);
  const violations: string[] = [];
  const fail = (message: string) => violations.push(message);

  const queued = new Map<string, Set<string>>();
  for (const m of input.messages) {
    const body = JSON.parse(m.body) as { sagaId?: string; step?: string };
    const key = `${body.sagaId}/${body.step}`;
    if (queued.has(key)) fail(`compensation failure ${key} is on the queue more than once`);
    queued.set(key, new Set([...(queued.get(key) ?? []), m.messageId]));
  }
  const onQueue = (orderId: string, step: string) => queued.has(`${orderId}/${step}`);

  const stock = new Map(byPrefix(inventory, 'SKU#').map((i) => [String(i.sku), Number(i.stock)]));
  const credit = new Map(byPrefix(payments, 'CUSTOMER#').map((i) => [String(i.customerId), Number(i.credit)]));
  const reservations = new Map(byPrefix(inventory, 'RESERVATION#').map((i) => [String(i.orderId), i]));
  const charges = new Map(byPrefix(payments, 'CHARGE#').map((i) => [String(i.orderId), i]));
  const orderRecords = new Map(byPrefix(orders, 'ORDER#').map((i) => [String(i.orderId), i]));

  // Stock and credit are conserved: what left is still reserved or charged.
  const heldStock = new Map<string, number>();
  for (const r of reservations.values()) {
    if (r.status !== 'RESERVED') continue;
    for (const line of r.items as OrderLine[]) heldStock.set(line.sku, (heldStock.get(line.sku) ?? 0) + line.quantity);
    const order = orderRecords.get(String(r.orderId));
    if (order?.status !== 'CONFIRMED' && !onQueue(String(r.orderId), 'ReleaseInventory')) {
      fail(`reservation of ${String(r.orderId)} is still RESERVED but the order is ${statusOf(order)} and no ReleaseInventory failure is on the queue`);
    }
  }
  for (const [sku, start] of Object.entries(input.initialStock)) {
    const now = stock.get(sku) ?? NaN;
    if (now < 0) fail(`stock of ${sku} is negative: ${now}`);
    if (start !== now + (heldStock.get(sku) ?? 0)) fail(`stock of ${sku}: ${start} at start ≠ ${now} now + ${heldStock.get(sku) ?? 0} reserved`);
  }
  const heldCredit = new Map<string, number>();
  for (const c of charges.values()) {
    if (c.status !== 'CHARGED') continue;
    heldCredit.set(String(c.customerId), (heldCredit.get(String(c.customerId)) ?? 0) + Number(c.amount));
    const order = orderRecords.get(String(c.orderId));
    if (order?.status !== 'CONFIRMED' && !onQueue(String(c.orderId), 'RefundPayment')) {
      fail(`charge of ${String(c.orderId)} is still CHARGED but the order is ${statusOf(order)} and no RefundPayment failure is on the queue`);
    }
  }
  for (const [customer, start] of Object.entries(input.initialCredit)) {
    const now = credit.get(customer) ?? NaN;
    if (now < 0) fail(`credit of ${customer} is negative: ${now}`);
    if (start !== now + (heldCredit.get(customer) ?? 0)) fail(`credit of ${customer}: ${start} at start ≠ ${now} now + ${heldCredit.get(customer) ?? 0} charged`);
  }

  // Every order ends exactly once, the way its execution ended.
  let confirmed = 0;
  let cancelled = 0;
  let rejectedInput = 0;
  let compensationFailures = 0;
  const expectedMessages = new Set<string>();
  for (const { input: order, result } of input.executions) {
    const orderId = (order as { orderId?: string }).orderId ?? result.name;
    const record = orderRecords.get(orderId);
    const recorded = result.path.filter((s) => /^Record.+Failure$/.test(s)).map((s) => s.slice('Record'.length, -'Failure'.length));
    for (const step of recorded) expectedMessages.add(`${orderId}/${step}`);
    compensationFailures += recorded.length;
    if (result.status === 'SUCCEEDED') {
      confirmed++;
      if (record?.status !== 'CONFIRMED') fail(`${orderId} succeeded but its order is ${statusOf(record)}`);
      const reservation = reservations.get(orderId);
      const charge = charges.get(orderId);
      if (reservation?.status !== 'RESERVED') fail(`${orderId} is CONFIRMED but its reservation is ${statusOf(reservation)}`);
      if (charge?.status !== 'CHARGED') fail(`${orderId} is CONFIRMED but its charge is ${statusOf(charge)}`);
      if (charge && record && Number(charge.amount) !== Number(record.total)) fail(`${orderId}: charged ${String(charge.amount)} for a total of ${String(record.total)}`);
      if (reservation && record && JSON.stringify(reservation.items) !== JSON.stringify(record.items)) fail(`${orderId}: reserved items differ from the order's`);
    } else if (result.error === 'InvalidOrder') {
      rejectedInput++;
      for (const [what, map] of [['order', orderRecords], ['reservation', reservations], ['charge', charges]] as const) {
        if (map.has(orderId)) fail(`${orderId} was malformed but a ${what} was written`);
      }
    } else {
      cancelled++;
      if (record?.status !== 'CANCELLED' && !onQueue(orderId, 'CancelOrder')) {
        fail(`${orderId} failed (${String(result.error)}) but its order is ${statusOf(record)}`);
      }
      const mustFail = recorded.length > 0 ? 'SagaCompensationFailed' : 'SagaCompensated';
      if (result.error !== mustFail) fail(`${orderId} ended ${String(result.error)}, expected ${mustFail}`);
    }
  }
  for (const key of expectedMessages) if (!queued.has(key)) fail(`compensation failure ${key} is not on the queue`);
  for (const key of queued.keys()) if (!expectedMessages.has(key)) fail(`queue message ${key} matches no failed compensation`);

  return { violations, counts: { executions: input.executions.length, confirmed, cancelled, rejectedInput, compensationFailures } };
}
