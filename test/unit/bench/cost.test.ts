import { cdkPatternsShape, costPerMillion, loadPrices, type SagaShape } from '../../../bench/cost';

const prices = loadPrices();

const shape: SagaShape = {
  transitions: 4,
  invocations: 4,
  msPerInvocation: 9.2,
  memoryMb: 256,
  architecture: 'arm64',
  readUnits: 5,
  writeUnits: 10,
  queueMessages: 0,
  executionMs: 150,
};

describe('the cost model', () => {
  it('prices every list price with its source', () => {
    for (const [name, { price, source }] of Object.entries(prices.prices)) {
      expect({ name, price: typeof price, source }).toEqual({ name, price: 'number', source: expect.stringMatching(/^https:\/\/aws\.amazon\.com\//) });
    }
  });

  it('bills Standard per transition and Express per request and 64 MB GB-second in 100 ms steps', () => {
    const cost = costPerMillion(shape, prices);

    // 4 transitions × $0.025 per 1,000 = $100 per million orders.
    expect(cost.stateMachine.standard).toBe(100);
    // $1 per million requests + 0.0625 GB × 0.2 s × $0.00001667 per GB-s × 1M.
    expect(cost.stateMachine.express).toBeCloseTo(1 + 0.0625 * 0.2 * 16.67, 2);
  });

  it('bills Lambda per request and per GB-second of duration rounded up to the millisecond', () => {
    const cost = costPerMillion(shape, prices);

    // 4 × ($0.20 + 0.25 GB × 0.010 s × $0.0000133334 × 1M).
    expect(cost.lambda).toBeCloseTo(4 * (0.2 + 0.25 * 0.01 * 13.3334), 2);
    expect(cost.dynamoDb).toBeCloseTo(5 * 0.125 + 10 * 0.625, 2);
    expect(cost.standard).toBeCloseTo(cost.stateMachine.standard + cost.lambda + cost.dynamoDb, 2);
  });

  it('models the cdk-patterns saga as 6 transitions and 5 single-item writes on the happy path', () => {
    expect(costPerMillion(cdkPatternsShape(9.2, 150), prices).stateMachine.standard).toBe(150);
  });
});
