import type { OrderLine } from '../lambdas/schemas';
import type { LocalMessage } from '../local/local-queues';
import type { ExecutionResult } from '../local/runtime';
import { scanAll, type OrderStores } from './stores';

/** What the stores held before the workload, and what ran. */
export interface InvariantInput {
  readonly initialStock: Readonly<Record<string, number>>;
  readonly initialCredit: Readonly<Record<string, number>>;
  readonly executions: readonly { readonly input: unknown; readonly result: ExecutionResult }[];
  /**
   * Executions of the recovery state machine, each for the saga (execution ARN) it compensated: those of sagas that
   * ended without running their compensations (stopped, timed out, failed with an error no Catch handles).
   * @default - none
   */
  readonly recoveries?: readonly { readonly sagaId: string; readonly result: ExecutionResult }[];
  readonly messages: readonly LocalMessage[];
}

export interface InvariantReport {
  readonly violations: string[];
  readonly counts: {
    readonly executions: number;
    readonly confirmed: number;
    readonly cancelled: number;
    readonly rejectedInput: number;
    /** Executions refused because their order already had a saga. */
    readonly duplicatesRefused: number;
    readonly compensationFailures: number;
    /** Sagas that ended without compensating (stopped, timed out, …) and were compensated by a recovery. */
    readonly recovered: number;
  };
}

/** An item's status for a message: `missing` when there is no item. */
const statusOf = (item: Record<string, unknown> | undefined) => (typeof item?.status === 'string' ? item.status : 'missing');

const byPrefix = (items: Record<string, unknown>[], prefix: string) => items.filter((i) => String(i.pk).startsWith(prefix));

/**
 * Checks the saga's invariants over whole tables (so the stores must hold only this workload's data):
 * - stock at start = stock now + quantities still reserved, per SKU, never negative; a reservation is still held
 *   only by a CONFIRMED order or by a saga whose ReleaseInventory failure is on the queue;
 * - credit at start = credit now + amounts still charged, per customer, never negative; a charge is still held only
 *   by a CONFIRMED order or by a saga whose RefundPayment failure is on the queue;
 * - a shipment is still SCHEDULED only for a CONFIRMED order (the one the order names) or a saga whose
 *   CancelShipment failure is on the queue;
 * - ownership: every record names the saga (execution ARN) that wrote it, one of this workload's executions for
 *   that order, and every record of an order names the same saga: the one that created the order;
 * - the owning saga of each order ends as its records say: SUCCEEDED with the order CONFIRMED, its reservation
 *   RESERVED, its charge CHARGED and its shipment SCHEDULED, matching; or failed with the order CANCELLED (unless its CancelOrder failure
 *   is on the queue);
 * - any other saga for the order never succeeds and wrote nothing: no record names it (a second saga ends
 *   `DuplicateOrder`, or compensated with nothing to undo); a malformed order writes nothing;
 * - a saga that ended without running its compensations (ABORTED, TIMED_OUT, or FAILED with another error) was
 *   compensated by a recovery execution: its order is CANCELLED (unless the recovery's CancelOrder failure is on the
 *   queue), and the recovery ended SagaRecovered, or SagaCompensationFailed with its failures on the queue;
 * - every compensation that failed for good is on the queue, once, and nothing else is.
 * Without compensation failures the first two reduce to: stock (credit) at start = now + CONFIRMED quantities (totals).
 */
export async function checkInvariants(stores: OrderStores, input: InvariantInput): Promise<InvariantReport> {
  const [inventory, payments, orders, shipping] = await Promise.all([scanAll(stores.inventory), scanAll(stores.payments), scanAll(stores.orders), scanAll(stores.shipping)]);
  const violations: string[] = [];
  const fail = (message: string) => violations.push(message);

  const queued = new Map<string, Set<string>>();
  for (const m of input.messages) {
    const body = JSON.parse(m.body) as { sagaId?: string; step?: string };
    const key = `${body.sagaId}/${body.step}`;
    if (queued.has(key)) fail(`compensation failure ${key} is on the queue more than once`);
    queued.set(key, new Set([...(queued.get(key) ?? []), m.messageId]));
  }
  const onQueue = (sagaId: unknown, step: string) => queued.has(`${String(sagaId)}/${step}`);

  const stock = new Map(byPrefix(inventory, 'SKU#').map((i) => [String(i.sku), Number(i.stock)]));
  const credit = new Map(byPrefix(payments, 'CUSTOMER#').map((i) => [String(i.customerId), Number(i.credit)]));
  const reservations = new Map(byPrefix(inventory, 'RESERVATION#').map((i) => [String(i.orderId), i]));
  const charges = new Map(byPrefix(payments, 'CHARGE#').map((i) => [String(i.orderId), i]));
  const shipments = new Map(byPrefix(shipping, 'SHIPMENT#').map((i) => [String(i.orderId), i]));
  const orderRecords = new Map(byPrefix(orders, 'ORDER#').map((i) => [String(i.orderId), i]));

  // Ownership: each record names one of the executions for its order, and all records of an order the same one.
  const executionsOf = new Map<string, Set<string>>();
  for (const { input: order, result } of input.executions) {
    const orderId = orderIdOf(order, result);
    executionsOf.set(orderId, new Set([...(executionsOf.get(orderId) ?? []), result.executionArn]));
  }
  const owners = new Map<string, string>();
  for (const [what, records] of [['order', orderRecords], ['reservation', reservations], ['charge', charges], ['shipment', shipments]] as const) {
    for (const [orderId, record] of records) {
      const sagaId = record.sagaId;
      if (typeof sagaId !== 'string') {
        fail(`${what} of ${orderId} names no saga`);
        continue;
      }
      if (!executionsOf.get(orderId)?.has(sagaId)) fail(`${what} of ${orderId} names ${sagaId}, which is no saga of that order`);
      const owner = owners.get(orderId);
      if (owner === undefined) owners.set(orderId, sagaId);
      else if (owner !== sagaId) fail(`${what} of ${orderId} belongs to ${sagaId}, another record of the order to ${owner}`);
    }
  }
  for (const orderId of [...reservations.keys(), ...charges.keys(), ...shipments.keys()]) {
    if (!orderRecords.has(orderId)) fail(`${orderId} has a reservation, a charge or a shipment but no order`);
  }
  for (const shipment of shipments.values()) {
    if (shipment.status !== 'SCHEDULED') continue;
    const order = orderRecords.get(String(shipment.orderId));
    if (order?.status !== 'CONFIRMED' && !onQueue(shipment.sagaId, 'CancelShipment')) {
      fail(`shipment of ${String(shipment.orderId)} is still SCHEDULED but the order is ${statusOf(order)} and no CancelShipment failure is on the queue`);
    }
  }

  // Stock and credit are conserved: what left is still reserved or charged.
  const heldStock = new Map<string, number>();
  for (const r of reservations.values()) {
    if (r.status !== 'RESERVED') continue;
    for (const line of r.items as OrderLine[]) heldStock.set(line.sku, (heldStock.get(line.sku) ?? 0) + line.quantity);
    const order = orderRecords.get(String(r.orderId));
    if (order?.status !== 'CONFIRMED' && !onQueue(r.sagaId, 'ReleaseInventory')) {
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
    if (order?.status !== 'CONFIRMED' && !onQueue(c.sagaId, 'RefundPayment')) {
      fail(`charge of ${String(c.orderId)} is still CHARGED but the order is ${statusOf(order)} and no RefundPayment failure is on the queue`);
    }
  }
  for (const [customer, start] of Object.entries(input.initialCredit)) {
    const now = credit.get(customer) ?? NaN;
    if (now < 0) fail(`credit of ${customer} is negative: ${now}`);
    if (start !== now + (heldCredit.get(customer) ?? 0)) fail(`credit of ${customer}: ${start} at start ≠ ${now} now + ${heldCredit.get(customer) ?? 0} charged`);
  }

  // The owning saga ends as its records say; every other saga for the order wrote nothing and did not succeed.
  let confirmed = 0;
  let cancelled = 0;
  let rejectedInput = 0;
  let duplicatesRefused = 0;
  let compensationFailures = 0;
  let recovered = 0;
  const expectedMessages = new Set<string>();
  const recordedFailures = (result: ExecutionResult) => result.path.filter((s) => /^Record.+Failure$/.test(s)).map((s) => s.slice('Record'.length, -'Failure'.length));
  const recoveriesOf = new Map<string, ExecutionResult[]>();
  for (const { sagaId, result } of input.recoveries ?? []) {
    recoveriesOf.set(sagaId, [...(recoveriesOf.get(sagaId) ?? []), result]);
    for (const step of recordedFailures(result)) expectedMessages.add(`${sagaId}/${step}`);
    compensationFailures += recordedFailures(result).length;
    const ok = result.status === 'SUCCEEDED' || (result.error === 'SagaCompensationFailed' && recordedFailures(result).length > 0);
    if (!ok) fail(`the recovery of ${sagaId} ended ${result.status} ${result.error ?? ''}`.trim());
  }
  for (const { input: order, result } of input.executions) {
    const orderId = orderIdOf(order, result);
    const sagaId = result.executionArn;
    const label = `${orderId} (${result.name})`;
    const record = orderRecords.get(orderId);
    const owns = owners.get(orderId) === sagaId;
    const recorded = recordedFailures(result);
    for (const step of recorded) expectedMessages.add(`${sagaId}/${step}`);
    compensationFailures += recorded.length;
    if (result.status === 'SUCCEEDED') {
      confirmed++;
      if (!owns) fail(`${label} succeeded but its order belongs to ${owners.get(orderId) ?? 'no saga'}`);
      if (record?.status !== 'CONFIRMED') fail(`${label} succeeded but its order is ${statusOf(record)}`);
      const reservation = reservations.get(orderId);
      const charge = charges.get(orderId);
      if (reservation?.status !== 'RESERVED') fail(`${label} is CONFIRMED but its reservation is ${statusOf(reservation)}`);
      if (charge?.status !== 'CHARGED') fail(`${label} is CONFIRMED but its charge is ${statusOf(charge)}`);
      const shipment = shipments.get(orderId);
      if (shipment?.status !== 'SCHEDULED') fail(`${label} is CONFIRMED but its shipment is ${statusOf(shipment)}`);
      if (shipment && record && shipment.shipmentId !== record.shipmentId) fail(`${label}: the order names shipment ${String(record.shipmentId)}, not ${String(shipment.shipmentId)}`);
      if (charge && record && Number(charge.amount) !== Number(record.total)) fail(`${label}: charged ${String(charge.amount)} for a total of ${String(record.total)}`);
      if (reservation && record && linesOf(reservation.items) !== linesOf(record.items)) fail(`${label}: reserved items differ from the order's`);
      if (record && linesOf(record.items) !== linesOf((order as { items?: unknown }).items)) fail(`${label}: the order's items are not what this saga asked for`);
      continue;
    }
    if (result.error === 'InvalidOrder' || result.error === 'DuplicateOrder') {
      if (result.error === 'InvalidOrder') rejectedInput++;
      else duplicatesRefused++;
      if (owns) fail(`${label} ended ${result.error} but the order's records name it`);
      if (result.error === 'DuplicateOrder' && !record) fail(`${label} was refused as a duplicate, but the order has no record`);
      continue;
    }
    cancelled++;
    const endedWithoutCompensating = result.status !== 'FAILED' || !['SagaCompensated', 'SagaCompensationFailed'].includes(String(result.error));
    if (endedWithoutCompensating) {
      recovered++;
      if (!recoveriesOf.has(sagaId)) fail(`${label} ended ${result.status} ${result.error ?? ''} without compensating, and nothing recovered it`);
      if (owns && record?.status !== 'CANCELLED' && !onQueue(sagaId, 'CancelOrder')) fail(`${label} was recovered but its order is ${statusOf(record)}`);
      continue;
    }
    const mustFail = recorded.length > 0 ? 'SagaCompensationFailed' : 'SagaCompensated';
    if (result.error !== mustFail) fail(`${label} ended ${String(result.error)}, expected ${mustFail}`);
    if (owns && record?.status !== 'CANCELLED' && !onQueue(sagaId, 'CancelOrder')) {
      fail(`${label} failed (${String(result.error)}) but its order is ${statusOf(record)}`);
    }
    if (!owns && !record && !onQueue(sagaId, 'CancelOrder') && (executionsOf.get(orderId)?.size ?? 0) === 1) {
      fail(`${label} failed (${String(result.error)}) but its order has no record`);
    }
  }
  for (const key of expectedMessages) if (!queued.has(key)) fail(`compensation failure ${key} is not on the queue`);
  for (const key of queued.keys()) if (!expectedMessages.has(key)) fail(`queue message ${key} matches no failed compensation`);

  return { violations, counts: { executions: input.executions.length, confirmed, cancelled, rejectedInput, duplicatesRefused, compensationFailures, recovered } };
}

/** Order lines as text, field by field (a stored map's key order is not guaranteed). */
function linesOf(items: unknown): string {
  return Array.isArray(items) ? (items as OrderLine[]).map((l) => `${l.sku}×${l.quantity}`).join(',') : String(items);
}

function orderIdOf(order: unknown, result: ExecutionResult): string {
  const orderId = (order as { orderId?: unknown } | null)?.orderId;
  return typeof orderId === 'string' ? orderId : result.name;
}
