import { comparablePath, differences, parallelScopes, sameJson, type RunOutcome } from '../../cli/crosscheck/compare';

const definition = {
  StartAt: 'A',
  States: {
    A: { Type: 'Task' },
    P: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'B', States: { B: { Type: 'Task' }, BFailed: { Type: 'Fail' } } },
        { StartAt: 'C', States: { C: { Type: 'Task' } } },
      ],
    },
    D: { Type: 'Task' },
  },
};

describe('crosscheck comparison', () => {
  const scopes = parallelScopes(definition);
  const outcome = (more: Partial<RunOutcome>): RunOutcome => ({ status: 'FAILED', error: 'E', cause: 'c', statesEntered: ['A', 'P', 'B', 'C', 'D'], ...more });

  it("finds every state inside a Parallel's branches", () => {
    expect(scopes).toEqual(new Map([['P', new Set(['B', 'BFailed', 'C'])]]));
  });

  it("gathers a Parallel's branch states as a sorted multiset, wherever the history logs them after it", () => {
    expect(comparablePath(['A', 'P', 'C', 'B', 'BFailed', 'D'], scopes)).toEqual(['A', 'P', ['B', 'BFailed', 'C'], 'D']);
    // A stopped branch may log its entry after the unwinding started.
    expect(comparablePath(['A', 'P', 'B', 'BFailed', 'D', 'C'], scopes)).toEqual(['A', 'P', ['B', 'BFailed', 'C'], 'D']);
  });

  it('keeps the order of the states outside Parallel states', () => {
    const ours = outcome({ statesEntered: ['A', 'P', 'B', 'C', 'D'] });
    const theirs = outcome({ statesEntered: ['P', 'A', 'B', 'C', 'D'] });

    expect(differences(ours, theirs, scopes).map((d) => d.field)).toEqual(['statesEntered']);
  });

  it('agrees on branch states entered in another order, and not on a branch state missing', () => {
    expect(differences(outcome({}), outcome({ statesEntered: ['A', 'P', 'C', 'B', 'D'] }), scopes)).toEqual([]);
    expect(differences(outcome({}), outcome({ statesEntered: ['A', 'P', 'B', 'D'] }), scopes)).toEqual([
      { field: 'statesEntered', ours: 'A → P → {B, C} → D', theirs: 'A → P → {B} → D' },
    ]);
  });

  it('compares causes as JSON, nested JSON text included, whatever the key order', () => {
    const inner = (a: string) => JSON.stringify({ errorType: 'Error', errorMessage: a });

    expect(sameJson(JSON.stringify({ a: 1, cause: inner('x') }), JSON.stringify({ cause: inner('x'), a: 1 }))).toBe(true);
    expect(sameJson(JSON.stringify({ a: 1, cause: inner('x') }), JSON.stringify({ a: 1, cause: inner('y') }))).toBe(false);
    expect(sameJson('plain text', 'plain text')).toBe(true);
    expect(sameJson('plain text', 'other text')).toBe(false);
    expect(sameJson('[1,2]', '[2,1]')).toBe(false);
  });

  it('names each field that differs: status, error, cause, output and retries', () => {
    const ours = outcome({ status: 'SUCCEEDED', error: undefined, cause: undefined, output: { a: 1 }, retries: 2 });
    const theirs = outcome({ status: 'FAILED', error: 'States.Runtime', cause: 'boom', output: undefined, retries: 3 });

    expect(differences(ours, theirs, scopes).map((d) => d.field)).toEqual(['status', 'error', 'cause', 'output', 'retries']);
  });

  it('compares retries only when both sides count them', () => {
    expect(differences(outcome({ retries: 2 }), outcome({}), scopes)).toEqual([]);
  });
});
