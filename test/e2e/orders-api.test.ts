import { randomUUID } from 'node:crypto';
import { OrderEventTypes, orderEvent } from '../../lib/order-event-schema';
import { startApiGatewayServer, type ApiGatewayServer } from '../../local/api-gateway';
import { freePort } from '../../local/dynamodb-local';
import type { EventBridgeEvent } from '../../local/execution-status-event';
import { LocalPipes } from '../../local/pipes';
import type { LocalRuntime } from '../../local/runtime';
import { startStepFunctionsServer, type StepFunctionsServer } from '../../local/sfn-api';
import type { OrderStores } from '../../cli/stores';
import type { PlaceOrder } from '../../lambdas/schemas';
import { openShop, startSagaRuntime } from '../helpers/saga-runtime';

/**
 * The Orders API and the order events, as deployed: the template's REST API served on loopback (its Lambda proxy
 * functions call the local Step Functions API), and the template's pipes reading the orders table's stream on
 * DynamoDB Local onto the OrderEvents bus.
 */
let runtime: LocalRuntime;
let stores: OrderStores;
let sfnServer: StepFunctionsServer;
let api: ApiGatewayServer;
let pipes: LocalPipes;
const published: EventBridgeEvent[] = [];

beforeAll(async () => {
  const sfnPort = await freePort();
  // Two workers per function, so that a test can keep ChargePayment's busy.
  ({ runtime, stores } = await startSagaRuntime({ maxWorkersPerFunction: 2, functionEnvironment: { AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${sfnPort}` } }));
  sfnServer = await startStepFunctionsServer(runtime, { port: sfnPort });
  api = (await startApiGatewayServer(runtime, { port: 0 }))!;
  pipes = await LocalPipes.start(runtime);
  runtime.buses.get(runtime.stack.outputs.OrderEventBusName)!.subscribe((event) => published.push(event));
});
afterAll(async () => {
  await pipes?.close();
  await api?.close();
  await sfnServer?.close();
  await runtime?.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}
const place = (body: unknown) => call('POST', 'orders', body);
const query = (orderId: string) => call('GET', `orders/${orderId}`);

/** Every saga has ended, and every change it committed has gone through the pipes onto the bus. */
async function settle(): Promise<void> {
  await runtime.settled();
  await pipes.drain();
}

const functionNamed = (step: string) => runtime.stack.functions.find((f) => f.logicalId.startsWith(`${step}Function`))!.name;
/** A ChargePayment request (of another saga) whose fault makes it run until the function times out. */
const hangingCharge = (order: PlaceOrder, sagaId: string) => ({
  sagaId,
  state: { ...order, orderId: `${order.orderId}-${sagaId}`, faults: { ChargePayment: 'Timeout' }, results: { ReserveInventory: { Payload: { reservationId: 'res-x', total: 1 } } } },
});
const sagasOf = (orderId: string) => runtime.listExecutions().filter((e) => (e.input as { orderId?: string }).orderId === orderId);
const eventsOf = (orderId: string) => published.filter((e) => (e.detail as { orderId?: string }).orderId === orderId);

describe('POST /orders', () => {
  it('answers 202 with the order URL, and the order goes PENDING, then CONFIRMED', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    // Both ChargePayment workers are busy with invocations that hang until the function times out: the saga waits
    // for one before ChargePayment, and its order stays PENDING meanwhile.
    const blockers = [1, 2].map((i) => runtime.invokeFunction(functionNamed('ChargePayment'), hangingCharge(order, `blocker-${i}`)).catch(() => undefined));

    const accepted = await place(order);
    let seen = await query(order.orderId);
    while (seen.status === 404) seen = await query(order.orderId);

    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ orderId: order.orderId, status: 'ACCEPTED', href: `/prod/orders/${order.orderId}` });
    expect(accepted.headers.get('location')).toBe(`/prod/orders/${order.orderId}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ orderId: order.orderId, status: 'PENDING', customerId: shop.customerId, items: order.items });
    await Promise.all(blockers);
    await settle();
    const confirmed = await query(order.orderId);
    expect(confirmed.body).toMatchObject({ orderId: order.orderId, status: 'CONFIRMED', total: 2_250, reservationId: `res-${order.orderId}`, chargeId: `chg-${order.orderId}` });
    expect(confirmed.body.failure).toBeUndefined();
  });

  it('answers the same 202 to the same order sent again, and starts one saga, even when sent at once', async () => {
    const shop = await openShop(stores);
    const order = shop.order();

    const answers = await Promise.all([place(order), place(order), place(order)]);
    await settle();
    const again = await place({ ...order, items: [...order.items].reverse() });

    for (const answer of [...answers, again]) expect({ status: answer.status, body: answer.body }).toEqual({ status: 202, body: answers[0].body });
    expect(sagasOf(order.orderId)).toHaveLength(1);
    expect((await query(order.orderId)).body.status).toBe('CONFIRMED');
  });

  it('answers 409 with the reason when the order id comes with other content, and changes nothing', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    await place(order);
    await settle();

    const conflict = await place({ ...order, items: [{ sku: shop.sku, quantity: 1 }] });
    const otherCustomer = await place({ ...order, customerId: 'cus-someone-else' });
    const otherAddress = await place({ ...order, shipTo: { line1: '1 Main Street', city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' } });

    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: 'OrderConflict', orderId: order.orderId });
    expect(String(conflict.body.message)).toContain('its items differ');
    expect(otherCustomer.status).toBe(409);
    expect(String(otherCustomer.body.message)).toContain('customerId is');
    expect(otherAddress.status).toBe(409);
    expect(String(otherAddress.body.message)).toContain('its shipping address differs');
    expect(sagasOf(order.orderId)).toHaveLength(1);
  });

  it('answers one 202 and one 409 to two different bodies for one order sent at once, and starts one saga', async () => {
    const shop = await openShop(stores);
    const order = shop.order();

    const answers = await Promise.all([place(order), place({ ...order, items: [{ sku: shop.other, quantity: 1 }] })]);
    await settle();

    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    expect(sagasOf(order.orderId)).toHaveLength(1);
  });

  it('treats an order whose saga was started elsewhere (console, random name) as the authority', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    runtime.startExecution({ name: randomUUID(), input: order });
    await settle();

    const same = await place(order);
    const other = await place({ ...order, items: [{ sku: shop.other, quantity: 3 }] });

    expect(same.status).toBe(202);
    expect(other.status).toBe(409);
    expect(sagasOf(order.orderId)).toHaveLength(1);
  });

  it.each([
    ['a missing field', (o: Record<string, unknown>) => ({ ...o, customerId: undefined }), 'customerId'],
    ['a bad quantity', (o: Record<string, unknown>) => ({ ...o, items: [{ sku: 'SKU-A', quantity: 0 }] }), 'items.0.quantity'],
    ['an unknown field', (o: Record<string, unknown>) => ({ ...o, coupon: 'FREE' }), 'coupon'],
    ['a bad order id', (o: Record<string, unknown>) => ({ ...o, orderId: 'has spaces' }), 'orderId'],
  ])('answers 400 naming the field for %s, and starts nothing', async (_case, spoil, field) => {
    const shop = await openShop(stores);
    const order = shop.order();

    const refused = await place(spoil(order));

    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'InvalidOrder', field });
    expect(String(refused.body.message)).toContain(field);
    expect(sagasOf(order.orderId)).toHaveLength(0);
    expect((await query(order.orderId)).status).toBe(404);
  });

  it('answers 400 for a body that is not a JSON object', async () => {
    const refused = await Promise.all([place('{"orderId": '), place('[1, 2]'), call('POST', 'orders')]);

    expect(refused.map((r) => [r.status, r.body.error])).toEqual([
      [400, 'InvalidOrder'],
      [400, 'InvalidOrder'],
      [400, 'InvalidOrder'],
    ]);
  });
});

describe('GET /orders/{orderId}', () => {
  it('answers 404 for an order that does not exist', async () => {
    const missing = await query(`ord-${randomUUID().slice(0, 8)}`);

    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'OrderNotFound' });
  });

  it('answers CANCELLED with the failed step and reason', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { ChargePayment: 'PaymentDeclined' } });
    await place(order);
    await settle();

    const cancelled = await query(order.orderId);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      orderId: order.orderId,
      status: 'CANCELLED',
      failure: { step: 'ChargePayment', error: 'PaymentDeclined', reason: 'injected fault at ChargePayment' },
    });
  });

  it('answers 403 Missing Authentication Token for a route the API does not have, as API Gateway does', async () => {
    const answers = await Promise.all([call('GET', 'orders'), call('POST', `orders/ord-1`, {}), call('GET', 'customers/cus-1')]);

    expect(answers.map((a) => [a.status, a.body.message])).toEqual(Array(3).fill([403, 'Missing Authentication Token']));
  });
});

describe('order events', () => {
  it('publishes one OrderConfirmed for a confirmed order, in the versioned schema', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    await place(order);
    await settle();

    const events = eventsOf(order.orderId);

    expect(events.map((e) => e['detail-type'])).toEqual([OrderEventTypes.confirmed]);
    const event = orderEvent.parse(events[0]);
    expect(event.detail).toMatchObject({ schemaVersion: '1', orderId: order.orderId, customerId: shop.customerId, status: 'CONFIRMED', total: '2250' });
  });

  it('publishes one OrderCancelled with the step, error and reason for a cancelled order', async () => {
    const shop = await openShop(stores);
    const order = shop.order({ faults: { ReserveInventory: 'InsufficientStock' } });
    await place(order);
    await settle();

    const events = eventsOf(order.orderId);

    expect(events.map((e) => e['detail-type'])).toEqual([OrderEventTypes.cancelled]);
    const event = orderEvent.parse(events[0]);
    expect(event.detail).toMatchObject({ status: 'CANCELLED', failure: { step: 'ReserveInventory', error: 'InsufficientStock', reason: 'injected fault at ReserveInventory' } });
  });

  it('publishes nothing for what does not change an order: a second saga for it, a repeated or conflicting command', async () => {
    const shop = await openShop(stores);
    const order = shop.order();
    await place(order);
    await settle();
    const before = eventsOf(order.orderId).length;

    runtime.startExecution({ name: randomUUID(), input: order });
    await place(order);
    await place({ ...order, customerId: 'cus-other' });
    await settle();

    expect(before).toBe(1);
    expect(eventsOf(order.orderId)).toHaveLength(1);
    expect(sagasOf(order.orderId).map((e) => e.status)).toEqual(['SUCCEEDED', 'FAILED']);
  });

  it('lets consumers deduplicate copies of one change on orderId + status', async () => {
    // A second reader that puts every event twice: three copies of each change reach the bus.
    const twice = await LocalPipes.start(runtime, { deliverTwice: true });
    try {
      const shop = await openShop(stores);
      const confirmed = shop.order();
      const cancelled = shop.order({ faults: { ChargePayment: 'PaymentDeclined' } });
      await Promise.all([place(confirmed), place(cancelled)]);
      await settle();
      await twice.drain();

      const copies = [...eventsOf(confirmed.orderId), ...eventsOf(cancelled.orderId)].map((e) => orderEvent.parse(e));
      const changes = new Set(copies.map((e) => e.detail.change.eventId));
      const byKey = new Map(copies.map((e) => [`${e.detail.orderId}#${e.detail.status}`, e]));
      const final = await Promise.all([confirmed, cancelled].map(async (o) => `${o.orderId}#${String((await query(o.orderId)).body.status)}`));

      // Each change reached the bus three times, each copy with its own event id.
      expect(copies).toHaveLength(3 * changes.size);
      expect(new Set(copies.map((e) => e.id)).size).toBe(copies.length);
      // Deduplicated on orderId + status, one event per change, ending in the order's state.
      expect(byKey.size).toBe(changes.size);
      expect([...byKey.keys()]).toEqual(expect.arrayContaining(final));
      expect(final).toContain(`${cancelled.orderId}#CANCELLED`);
    } finally {
      await twice.close();
    }
  });
});
