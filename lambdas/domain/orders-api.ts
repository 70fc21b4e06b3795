import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { InvalidOrder, OrderConflict, OrderNotFound } from '../errors';
import { describeIssues } from '../handler';
import { OrderLimits, placeOrder, type OrderLine, type PlaceOrder, type ShippingAddress } from '../schemas';
import { addressOf, failureReason, getOrder, type OrderRecord, type OrderStatus } from './orders';
import type { ServiceStore } from './store';

/** What the command side needs: the orders service's table (the authority on orders) and the saga to start. */
export interface PlaceOrderDeps {
  readonly orders: ServiceStore;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
}

/** How a command was accepted: a saga started now, or the order (or its saga) was already there with this content. */
export interface Accepted {
  readonly orderId: string;
  readonly outcome: 'started' | 'already-accepted';
}

/** A malformed command: the first bad field (a dotted path, `items.1.quantity`), and every problem in one line. */
export class InvalidCommand extends InvalidOrder {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses a `POST /orders` body with the saga's own command schema (`placeOrder`): the API refuses exactly what the
 * saga's first step would, and names the field.
 */
export function parseCommand(body: string | null | undefined): PlaceOrder {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    throw new InvalidCommand(undefined, 'the body must be a JSON PlaceOrder command');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidCommand(undefined, 'the order must be a JSON object');
  const parsed = placeOrder.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const field = first.path.length > 0 ? first.path.join('.') : first.code === 'unrecognized_keys' ? first.keys[0] : undefined;
  throw new InvalidCommand(field, describeIssues(parsed.error));
}

const linesOf = (items: readonly OrderLine[]) =>
  [...items]
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
    .map((line) => `${line.sku}×${line.quantity}`)
    .join(',');

/** What the command side compares of an order: its customer, lines and shipping address. */
type OrderContent = { customerId?: unknown; items?: unknown; shipTo?: unknown };

/** Why `existing` is not the command's order, or undefined when it is (the same customer, lines in any order, address). */
function difference(existing: OrderContent, command: PlaceOrder): string | undefined {
  if (existing.customerId !== command.customerId) return `customerId is ${String(existing.customerId)}, not ${command.customerId}`;
  if (!Array.isArray(existing.items) || linesOf(existing.items as OrderLine[]) !== linesOf(command.items)) return 'its items differ';
  if (addressOf(existing.shipTo as ShippingAddress | undefined) !== addressOf(command.shipTo)) return 'its shipping address differs';
  return undefined;
}

/**
 * `POST /orders`: starts the order's saga, once. The orders table is the authority (an order may belong to a saga
 * started elsewhere, under any execution name): an order already there with the same customer and lines is
 * accepted again without a new saga; with other content it is an {@link OrderConflict}. Otherwise the saga is
 * started under the order id as execution name, which makes concurrent and repeated requests converge: Step
 * Functions answers the running execution for the same name and input, and `ExecutionAlreadyExists` otherwise,
 * whose input then decides between accepted and conflict.
 */
export async function placeOrderCommand(command: PlaceOrder, deps: PlaceOrderDeps): Promise<Accepted> {
  const existing = await getOrder(command.orderId, deps.orders);
  if (existing) return accepted(command, existing, existing.sagaId);
  const name = command.orderId;
  try {
    await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(command) }));
    return { orderId: command.orderId, outcome: 'started' };
  } catch (err: unknown) {
    if (!(err instanceof ExecutionAlreadyExists)) throw err;
  }
  const executionArn = `${deps.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  let input: OrderContent = {};
  try {
    input = JSON.parse(execution.input ?? '{}') as typeof input;
  } catch {
    // An execution of another shape under this name: a conflict below.
  }
  return accepted(command, input, executionArn);
}

function accepted(command: PlaceOrder, existing: OrderContent, owner: string | undefined): Accepted {
  const differs = difference(existing, command);
  if (differs) throw new OrderConflict(command.orderId, `${differs} (saga ${owner ?? 'unknown'})`);
  return { orderId: command.orderId, outcome: 'already-accepted' };
}

/** The order as `GET /orders/{orderId}` answers it. */
export interface OrderView {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  readonly shipTo?: ShippingAddress;
  readonly total?: number;
  readonly reservationId?: string;
  readonly chargeId?: string;
  readonly shipmentId?: string;
  /** CANCELLED: the step that failed, its error, and why. */
  readonly failure?: { readonly step: string; readonly error: string; readonly reason: string };
  /** The saga (execution ARN) the order belongs to. */
  readonly sagaId: string;
}

/** `GET /orders/{orderId}`: the order as stored, or {@link OrderNotFound} (also for an id no order can have). */
export async function getOrderQuery(orderId: string, orders: ServiceStore): Promise<OrderView> {
  if (!OrderLimits.idPattern.test(orderId) || orderId.length > OrderLimits.maxOrderIdLength) throw new OrderNotFound(orderId);
  const order = await getOrder(orderId, orders);
  if (!order) throw new OrderNotFound(orderId);
  return view(order);
}

function view(order: OrderRecord): OrderView {
  const { failure } = order;
  return {
    orderId: order.orderId,
    status: order.status,
    customerId: order.customerId,
    items: order.items,
    ...(order.shipTo ? { shipTo: order.shipTo } : {}),
    ...(order.total !== undefined ? { total: order.total } : {}),
    ...(order.reservationId ? { reservationId: order.reservationId } : {}),
    ...(order.chargeId ? { chargeId: order.chargeId } : {}),
    ...(order.shipmentId ? { shipmentId: order.shipmentId } : {}),
    ...(failure ? { failure: { step: failure.step, error: failure.error, reason: failure.reason ?? failureReason(failure) } } : {}),
    sagaId: order.sagaId,
  };
}
