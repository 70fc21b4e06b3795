import path from 'node:path';
import { loadCases, runConformance, summarize } from '../../local/engine/conformance';

/** Pass-rate floors per query language, just below what the engine achieves (497/497 and 78/78): a regression fails. */
const FLOOR = { JSONPath: 0.995, JSONata: 0.985 };

const CASES = path.resolve(__dirname, '..', '..', '..', 'shared', 'conformance', 'cases.json');

describe('ASL engine conformance with AWS recordings', () => {
  it('gives AWS answer for the recorded cases in each query language', async () => {
    const outcomes = await runConformance(loadCases(CASES), { concurrency: 16 });
    const summary = summarize(outcomes);
    const failures = outcomes.filter((o) => !o.passed).map((o) => `${o.id}: ${o.differences.join(' | ')}`);

    for (const [language, floor] of Object.entries(FLOOR)) {
      const tally = summary.byQueryLanguage[language];
      expect({ language, failures, rate: tally.passed / tally.cases >= floor }).toEqual({ language, failures, rate: true });
    }
  }, 60_000);
});
