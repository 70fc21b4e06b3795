/**
 * `npm run conformance [-- --cases FILE] [--json] [--concurrency N]`: runs Step Functions conformance cases on the
 * local ASL engine and prints pass rates overall, by query language and by feature, and every failure. Without
 * `--cases`: the executions recorded against AWS (`../shared/conformance/cases.json`) when they are beside the
 * repository, else the cases written from AWS's documentation (`test/conformance/documented-cases.json`).
 * Exit code 0 when it ran (whatever the score), 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadCases, runConformance, summarize, type Tally } from '../local/engine/conformance';

const USAGE = 'usage: conformance [--cases FILE] [--json] [--concurrency N]';

const RECORDED = path.resolve(__dirname, '..', '..', 'shared', 'conformance', 'cases.json');
const DOCUMENTED = path.resolve(__dirname, '..', 'test', 'conformance', 'documented-cases.json');

/** The corpus run without `--cases`, and why it is that one. */
function defaultCases(): { file: string; why: string } {
  if (existsSync(RECORDED)) return { file: RECORDED, why: 'the cases recorded against AWS' };
  return { file: DOCUMENTED, why: `the cases written from AWS's documentation (no ${RECORDED})` };
}

function parseArgs(argv: string[]): { cases: string; why: string; json: boolean; concurrency: number } | string {
  let { file: cases, why } = defaultCases();
  let json = false;
  let concurrency = 16;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--cases') {
      const file = argv[i + 1];
      if (!file) return '--cases needs a FILE';
      cases = path.resolve(file);
      why = 'given with --cases';
      i += 1;
    } else if (arg === '--concurrency') {
      const n = Number(argv[i + 1]);
      if (!Number.isInteger(n) || n < 1) return '--concurrency needs a positive integer';
      concurrency = n;
      i += 1;
    } else if (arg === '--help' || arg === '-h') return '';
    else return `unknown argument ${arg}`;
  }
  if (!existsSync(cases)) return `no such cases file: ${cases}`;
  return { cases, why, json, concurrency };
}

const pct = (t: Tally) => (t.cases === 0 ? '-' : `${((100 * t.passed) / t.cases).toFixed(1)} %`);
const row = (label: string, t: Tally) => `${label.padEnd(44)} ${String(t.passed).padStart(4)}/${String(t.cases).padEnd(4)} ${pct(t)}`;

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    if (args) process.stderr.write(`${args}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let cases;
  try {
    cases = loadCases(args.cases);
  } catch (err: unknown) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  const outcomes = await runConformance(cases, { concurrency: args.concurrency });
  const summary = summarize(outcomes);
  if (args.json) {
    // Which corpus ran goes to stderr, so stdout stays one JSON object.
    process.stderr.write(`conformance: ${args.cases} (${args.why})\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`Conformance: ${path.relative(process.cwd(), args.cases) || args.cases} (${cases.length} cases, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  lines.push(`  ${args.why}`);
  lines.push('', row('overall', summary.total));
  for (const [language, tally] of Object.entries(summary.byQueryLanguage)) lines.push(row(language, tally));
  lines.push('', 'by feature:');
  for (const [feature, tally] of Object.entries(summary.byFeature).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(row(`  ${feature}${tally.passed < tally.cases ? ' *' : ''}`, tally));
  }
  const unsupported = outcomes.filter((o) => o.unsupported);
  if (unsupported.length > 0) {
    lines.push('', `cannot run locally (${unsupported.length}, counted as failures):`);
    for (const o of unsupported) lines.push(`  ${o.id}: ${o.unsupported ?? ''}`);
  }
  const failures = outcomes.filter((o) => !o.passed && !o.unsupported);
  lines.push('', `failures (${failures.length}):`);
  for (const o of failures) lines.push(`  ${o.id} [${o.queryLanguage}]: ${o.differences.join(' | ')}`);
  const noted = outcomes.filter((o) => o.notes.length > 0);
  if (noted.length > 0) {
    lines.push('', `notes, not counted (${noted.length}):`);
    for (const o of noted) lines.push(`  ${o.id}: ${o.notes.join(' | ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
