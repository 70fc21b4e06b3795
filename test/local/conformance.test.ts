import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  compareResult,
  loadCases,
  runConformance,
  summarize,
  type CaseOutcome,
  type ConformanceCase,
} from '../../local/engine/conformance';
import type { ExecutionResult } from '../../local/engine/engine';

const ROOT = path.resolve(__dirname, '..', '..');

/** Cases written from AWS's documentation, in the repository: every one must pass. */
const DOCUMENTED = path.join(ROOT, 'test', 'conformance', 'documented-cases.json');

/** Executions recorded against AWS, kept beside the repository (not in it): run when present. */
const RECORDED = path.resolve(ROOT, '..', 'shared', 'conformance', 'cases.json');

/** Pass-rate floors of the recorded cases per query language, just below what the engine achieves (497/497, 78/78). */
const FLOOR = { JSONPath: 0.995, JSONata: 0.985 };

const failuresOf = (outcomes: readonly CaseOutcome[]) =>
  outcomes.filter((o) => !o.passed).map((o) => `${o.id}: ${o.differences.join(' | ')}`);

describe('ASL engine conformance with AWS', () => {
  it('gives the answer AWS documents for every case of test/conformance/documented-cases.json', async () => {
    const cases = loadCases(DOCUMENTED);

    const outcomes = await runConformance(cases, { concurrency: 8 });

    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(failuresOf(outcomes)).toEqual([]);
    expect(new Set(cases.map((c) => c.queryLanguage))).toEqual(new Set(['JSONPath', 'JSONata']));
  });

  it('names, for every documented case, the page and section its answer comes from', () => {
    const file = JSON.parse(readFileSync(DOCUMENTED, 'utf8')) as {
      cases: { id: string; source?: { url?: string; section?: string; documents?: string } }[];
    };
    const fromAws = /^https:\/\/(docs\.aws\.amazon\.com|states-language\.net)\//;

    const unsourced = file.cases
      .filter(({ source }) => !fromAws.test(source?.url ?? '') || !source?.section || !source.documents)
      .map(({ id }) => id);

    expect(unsourced).toEqual([]);
  });

  it('leaves a cause unchecked only where the case says its source does not state one', () => {
    const at = new Date();
    const failed: ExecutionResult = {
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'any words',
      history: [],
      retries: 0,
      startDate: at,
      stopDate: at,
    };
    const documented: ConformanceCase = {
      id: 'unit',
      queryLanguage: 'JSONPath',
      features: [],
      definition: { StartAt: 'A', States: { A: { Type: 'Succeed' } } },
      input: {},
      expected: { status: 'FAILED', error: 'States.Runtime' },
      compare: { ignore: ['cause'] },
    };

    const unchecked = compareResult(documented, failed).differences;
    const checked = compareResult({ ...documented, compare: undefined }, failed).differences;
    const otherError = compareResult(documented, { ...failed, error: 'States.QueryEvaluationError' }).differences;

    expect(unchecked).toEqual([]);
    expect(checked).toEqual([expect.stringMatching(/^cause /)]);
    expect(otherError).toEqual([expect.stringMatching(/^error /)]);
  });

  if (existsSync(RECORDED)) {
    it('gives AWS answer for the recorded AWS cases (../shared/conformance/cases.json) in each language', async () => {
      const outcomes = await runConformance(loadCases(RECORDED), { concurrency: 16 });
      const summary = summarize(outcomes);
      const failures = failuresOf(outcomes);

      for (const [language, floor] of Object.entries(FLOOR)) {
        const tally = summary.byQueryLanguage[language];
        const rate = tally.passed / tally.cases >= floor;
        expect({ language, failures, rate }).toEqual({ language, failures, rate: true });
      }
    }, 60_000);
  } else {
    // Said once, so that a run without the recorded cases is not mistaken for one with them.
    console.info(`conformance: ran the documented cases only (no ${path.relative(ROOT, RECORDED)})`);
  }
});
