import { loadSynthesizedStack } from '../../local/cloud-assembly';
import { resolveLocalStack } from '../../local/local-stack';
import { LocalRuntime } from '../../local/runtime';
import { formatPath, table } from '../format';
import { generateMockConfig, mockTestCasesByMachine, sagaStateMachines } from '../mock-config';
import { differences, parallelScopes, type Difference, type RunOutcome } from './compare';
import { probeMoto, runOnMoto } from './moto';
import { runOnOurs } from './ours';

/** Options of {@link runCrosscheck}. */
export interface CrosscheckOptions {
  /** The CDK app's folder. @default process.cwd() */
  readonly projectDir?: string;
  /** The Python that has moto. @default 'python3' */
  readonly python?: string;
  /** Told what is happening (for progress lines). @default - nothing */
  readonly onProgress?: (message: string) => void;
}

/** One test case on both interpreters. */
export interface CrosscheckCase {
  /** `saga` or `recovery`. */
  readonly role: string;
  readonly testCase: string;
  readonly ours: RunOutcome;
  readonly theirs: RunOutcome;
  readonly differences: readonly Difference[];
}

/** What a crosscheck found: every case on both sides, or why it could not run moto's side. */
export type CrosscheckReport =
  | { readonly skipped: string }
  | { readonly cases: readonly CrosscheckCase[]; readonly moto: string; readonly jsonata: string; readonly seconds: number };

/** The context the MockConfigFile's stack is synthesized with (fault injection on, as for the local runtime). */
const CONTEXT = { faultInjection: 'true' } as const;

/**
 * Runs every test case of the generated MockConfigFile (the saga's and its recovery's) on our engine (the local
 * runtime, with the MockConfigFile as `mockConfig`) and on moto's port of LocalStack's interpreter, strictly, and
 * compares how each ended. Skipped, saying why, when the Python given has no moto.
 */
export async function runCrosscheck(options: CrosscheckOptions = {}): Promise<CrosscheckReport> {
  const started = Date.now();
  const python = options.python ?? 'python3';
  const progress = options.onProgress ?? (() => undefined);
  // The probe imports nothing and answers in a fraction of a second: no synthesis for a crosscheck that is skipped.
  const availability = await probeMoto(python);
  if (!availability.available) return { skipped: availability.reason };

  const stack = resolveLocalStack(await loadSynthesizedStack({ projectDir: options.projectDir, context: CONTEXT, onProgress: progress }));
  const machines = sagaStateMachines(stack);
  const mockConfig = generateMockConfig(stack);
  const cases = mockTestCasesByMachine(machines).flatMap(({ machine, cases: byName }) =>
    Object.entries(byName).map(([testCase, c]) => ({
      id: `${machine.name}#${testCase}`,
      role: machine === machines.saga ? 'saga' : 'recovery',
      machine,
      testCase,
      // The same name on both sides: an execution's ARN is part of what a state machine may read and report.
      executionName: `crosscheck-${testCase}`.slice(0, 80),
      input: c.input(machines.saga.arn),
    })),
  );

  progress(`running ${cases.length} cases on moto ${availability.moto} (strict) and on the local runtime…`);
  const moto = runOnMoto(python, {
    machines: [machines.saga, ...(machines.recovery ? [machines.recovery] : [])],
    mockConfig,
    cases: cases.map((c) => ({ id: c.id, machine: c.machine.name, testCase: c.testCase, executionName: c.executionName, input: c.input })),
    region: stack.region,
    account: stack.accountId,
  });
  moto.catch(() => undefined);
  const runtime = await LocalRuntime.start({ projectDir: options.projectDir, context: CONTEXT, synth: 'never', mockConfig, retryDelayMs: 1, onProgress: progress });
  let ours: Map<string, RunOutcome>;
  try {
    ours = await runOnOurs(
      runtime,
      cases.map((c) => ({ id: c.id, stateMachineArn: c.machine.arn, testCase: c.testCase, executionName: c.executionName, input: c.input })),
    );
  } finally {
    await runtime.close();
  }
  const theirs = await moto;

  const scopes = new Map(cases.map((c) => [c.machine, parallelScopes(c.machine.definition)]));
  const missing: RunOutcome = { status: 'NOT_RUN', statesEntered: [] };
  return {
    cases: cases.map((c) => {
      const [a, b] = [ours.get(c.id)!, theirs.outcomes.get(c.id) ?? missing];
      return { role: c.role, testCase: c.testCase, ours: a, theirs: b, differences: differences(a, b, scopes.get(c.machine)!) };
    }),
    moto: theirs.moto,
    jsonata: theirs.jsonata,
    seconds: (Date.now() - started) / 1000,
  };
}

const ending = (o: RunOutcome) => [o.status, o.error].filter(Boolean).join(' ');

/**
 * The report as text: a table (case, ours, moto's, agree?), each disagreement field by field, and a last line
 * `N passed, N failed` alone.
 */
export function formatReport(report: CrosscheckReport): string {
  if ('skipped' in report) return `crosscheck skipped: ${report.skipped}`;
  const rows = report.cases.map((c) => [
    `${c.role} ${c.testCase}`,
    ending(c.ours),
    ending(c.theirs),
    c.differences.length === 0 ? 'yes' : `NO (${c.differences.map((d) => d.field).join(', ')})`,
  ]);
  const lines = [
    `Crosscheck: ${report.cases.length} MockConfigFile cases on our engine and on moto ${report.moto}'s interpreter (strict; JSONata ${report.jsonata}), ${report.seconds.toFixed(1)} s`,
    "  compared: status, error, cause and output (as JSON), the states entered in order (a Parallel's branch states as a multiset), retries",
    '',
    table(['case', 'ours', "moto's", 'agree?'], rows),
  ];
  const failed = report.cases.filter((c) => c.differences.length > 0);
  for (const c of failed) {
    lines.push('', `${c.role} ${c.testCase}:`);
    for (const d of c.differences) {
      const show = (text: string) => (d.field === 'statesEntered' ? formatPath(text.split(' → '), '           ') : text);
      lines.push(`  ${d.field}`, `    ours:  ${show(d.ours)}`, `    moto:  ${show(d.theirs)}`);
    }
  }
  lines.push('', `${report.cases.length - failed.length} passed, ${failed.length} failed`);
  return lines.join('\n');
}
