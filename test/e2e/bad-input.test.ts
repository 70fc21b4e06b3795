import { getOrder } from '../../lambdas/domain/orders';
import { getCharge } from '../../lambdas/domain/payments';
import { getReservation } from '../../lambdas/domain/inventory';
import { getShipment } from '../../lambdas/domain/shipping';
import { ErrorName } from '../../lambdas/errors';
import type { OrderStores } from '../../cli/stores';
import type { LocalRuntime } from '../../local/runtime';
import { openShop, startSagaRuntime } from '../helpers/saga-runtime';
import { uniqueId } from '../helpers/tables';

let runtime: LocalRuntime;
let stores: OrderStores;
let shop: Awaited<ReturnType<typeof openShop>>;

beforeAll(async () => {
  ({ runtime, stores } = await startSagaRuntime());
  shop = await openShop(stores);
});
afterAll(async () => {
  await runtime?.close();
});

const line = (over: Record<string, unknown> = {}) => ({ sku: 'SKU-X', quantity: 1, ...over });
const order = (over: Record<string, unknown> = {}) => ({ orderId: 'ord-bad', customerId: 'cus-x', items: [line()], ...over });
const without = (key: string) => Object.fromEntries(Object.entries(order()).filter(([k]) => k !== key));
const many = (n: number) => Array.from({ length: n }, (_, i) => line({ sku: `SKU-${i}` }));

/** Malformed PlaceOrder commands, and what the error must say. */
const corpus: [string, unknown, string][] = [
  ['no orderId', without('orderId'), 'orderId: orderId is required'],
  ['no customerId', without('customerId'), 'customerId: customerId is required'],
  ['no items', without('items'), 'items: items must be an array'],
  ['an empty object', {}, 'orderId: orderId is required'],
  ['an extra field', order({ coupon: 'FREE' }), 'unknown key "coupon"'],
  ['an extra field in a line', order({ items: [line({ price: 1 })] }), 'items.0: unknown key "price"'],
  ['a numeric orderId', order({ orderId: 1001 }), 'orderId: orderId must be a string'],
  ['a null customerId', order({ customerId: null }), 'customerId: customerId must be a string'],
  ['items as a string', order({ items: 'SKU-X' }), 'items: items must be an array'],
  ['items as an object', order({ items: { sku: 'SKU-X', quantity: 1 } }), 'items: items must be an array'],
  ['no lines', order({ items: [] }), 'items: items must hold at least one line'],
  ['26 lines', order({ items: many(26) }), 'items: items must hold at most 25 lines'],
  ['5,000 lines', order({ items: many(5_000) }), 'items: items must hold at most 25 lines'],
  ['a line without sku', order({ items: [{ quantity: 1 }] }), 'items.0.sku: sku is required'],
  ['a line without quantity', order({ items: [{ sku: 'SKU-X' }] }), 'items.0.quantity: quantity must be a number'],
  ['a zero quantity', order({ items: [line({ quantity: 0 })] }), 'items.0.quantity: quantity must be at least 1'],
  ['a negative quantity', order({ items: [line({ quantity: -1 })] }), 'items.0.quantity: quantity must be at least 1'],
  ['a fractional quantity', order({ items: [line({ quantity: 1.5 })] }), 'items.0.quantity: quantity must be a whole number'],
  ['a quantity over the limit', order({ items: [line({ quantity: 1_001 })] }), 'items.0.quantity: quantity must be at most 1000'],
  ['a huge quantity', order({ items: [line({ quantity: 1e12 })] }), 'items.0.quantity: quantity must be at most 1000'],
  ['a quantity beyond safe integers', order({ items: [line({ quantity: 2 ** 60 })] }), 'items.0.quantity'],
  ['a quantity as a string', order({ items: [line({ quantity: '2' })] }), 'items.0.quantity: quantity must be a number'],
  ['a null quantity', order({ items: [line({ quantity: null })] }), 'items.0.quantity: quantity must be a number'],
  ['a boolean quantity', order({ items: [line({ quantity: true })] }), 'items.0.quantity: quantity must be a number'],
  ['a duplicate SKU', order({ items: [line(), line({ quantity: 2 })] }), 'items.1.sku: duplicate sku SKU-X'],
  ['an empty sku', order({ items: [line({ sku: '' })] }), 'items.0.sku: sku must not be empty'],
  ['a sku with a space', order({ items: [line({ sku: 'SKU X' })] }), "items.0.sku: sku may contain only letters, digits, '-' and '_'"],
  ['a sku with a key separator', order({ items: [line({ sku: 'X#RESERVATION' })] }), 'items.0.sku: sku may contain only'],
  ['a 65-character sku', order({ items: [line({ sku: 'S'.repeat(65) })] }), 'items.0.sku: sku must be at most 64 characters'],
  ['an 81-character orderId', order({ orderId: 'o'.repeat(81) }), 'orderId: orderId must be at most 80 characters'],
  ['a 10,000-character orderId', order({ orderId: 'o'.repeat(10_000) }), 'orderId: orderId must be at most 80 characters'],
  ['an empty orderId', order({ orderId: '' }), 'orderId: orderId must not be empty'],
  ['an orderId with an accent', order({ orderId: 'ord-ü' }), 'orderId: orderId may contain only'],
  ['an orderId with a slash', order({ orderId: 'ord/1' }), 'orderId: orderId may contain only'],
  ['an orderId with a key separator', order({ orderId: 'ord#1' }), 'orderId: orderId may contain only'],
  ['an orderId like SQL', order({ orderId: "1'; DROP TABLE orders;--" }), 'orderId: orderId may contain only'],
  ['an orderId with a newline', order({ orderId: 'ord\n1' }), 'orderId: orderId may contain only'],
  ['an orderId with a NUL', order({ orderId: 'ord\u00001' }), 'orderId: orderId may contain only'],
  ['a customerId with an emoji', order({ customerId: 'cus-😀' }), 'customerId: customerId may contain only'],
  ['a 65-character customerId', order({ customerId: 'c'.repeat(65) }), 'customerId: customerId must be at most 64 characters'],
  ['a string', 'PlaceOrder', 'the order must be a JSON object, got string'],
  ['a number', 42, 'the order must be a JSON object, got number'],
  ['an array', [order()], 'the order must be a JSON object, got an array'],
  ['null', null, 'orderId: orderId is required'],
  ['true', true, 'the order must be a JSON object, got boolean'],
  ['a line that is a number', order({ items: [7] }), 'items.0'],
  ['a line that is null', order({ items: [null] }), 'items.0'],
  ['a line that is an array', order({ items: [['SKU-X', 1]] }), 'items.0'],
  ['faults that are a string', order({ faults: 'Error' }), 'faults'],
  ['a fault at an unknown step', order({ faults: { ChargePaymnet: 'Error' } }), 'faults: unknown key "ChargePaymnet"'],
  ['a fault with an unknown error', order({ faults: { ChargePayment: 'Explode' } }), 'faults.ChargePayment: a fault is one of'],
  ['a fault that fires zero times', order({ faults: { ChargePayment: { error: 'Error', times: 0 } } }), 'faults.ChargePayment'],
  ['a fault with an extra key', order({ faults: { ChargePayment: { error: 'Error', times: 1, extra: 1 } } }), 'faults.ChargePayment'],
  ['a shipping address that is a string', order({ shipTo: '1 Long Acre, London' }), 'shipTo: shipTo must be an object with line1, city, postcode and country'],
  ['a shipping address without line1', order({ shipTo: { city: 'London', postcode: 'WC2E 9LH', country: 'GB' } }), 'shipTo.line1: line1 is required'],
  ['a blank shipping city', order({ shipTo: { line1: '1 Long Acre', city: '   ', postcode: 'WC2E 9LH', country: 'GB' } }), 'shipTo.city: city must not be empty'],
  ['a lower-case country', order({ shipTo: { line1: '1 Long Acre', city: 'London', postcode: 'WC2E 9LH', country: 'gb' } }), 'shipTo.country: country must be an ISO 3166 code'],
  ['a postcode with symbols', order({ shipTo: { line1: '1 Long Acre', city: 'London', postcode: 'WC2E;9LH', country: 'GB' } }), 'shipTo.postcode: postcode must be 1-15'],
  ['a shipping address with an extra key', order({ shipTo: { line1: '1 Long Acre', city: 'London', postcode: 'WC2E 9LH', country: 'GB', floor: 3 } }), 'shipTo: unknown key "floor"'],
  ['a payload just under 256 KB', order({ items: many(8_000) }), 'items: items must hold at most 25 lines'],
  ['a near-limit unknown field', order({ note: 'n'.repeat(250_000) }), 'unknown key "note"'],
];

describe('a malformed order', () => {
  it('has a corpus of at least 50 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it.each(corpus)('%s: ends InvalidOrder naming the problem, and changes nothing', async (_what, input, message) => {
    const name = uniqueId('bad');
    const before = await shop.state(name);

    const result = await runtime.startExecution({ name, input }).result;

    expect(result).toMatchObject({ status: 'FAILED', error: ErrorName.InvalidOrder, path: ['CreateOrder', 'InputRejected'] });
    expect((JSON.parse(result.cause!) as { errorMessage: string }).errorMessage).toContain(message);
    expect(await shop.state(name)).toEqual(before);
    const orderId = (input as { orderId?: unknown } | null)?.orderId;
    if (typeof orderId === 'string' && orderId.length > 0 && orderId.length < 1_000) {
      expect(await getOrder(orderId, stores.orders)).toBeUndefined();
      expect(await getReservation(orderId, stores.inventory)).toBeUndefined();
      expect(await getCharge(orderId, stores.payments)).toBeUndefined();
      expect(await getShipment(orderId, stores.shipping)).toBeUndefined();
    }
  });

  it('over 256 KB is refused by StartExecution itself, as Step Functions does', () => {
    expect(() => runtime.startExecution({ name: uniqueId('big'), input: order({ note: 'n'.repeat(262_144) }) })).toThrow(
      expect.objectContaining({ name: 'InvalidExecutionInput', message: expect.stringContaining('the limit is 262144 bytes') }),
    );
  });
});
