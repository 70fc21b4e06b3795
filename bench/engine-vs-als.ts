/**
 * `npx tsx bench/engine-vs-als.ts [--n 2000] [--definition FILE | --builtin]`: runs one state machine N times with tasks that
 * answer at once, on the local ASL engine and on aws-local-stepfunctions, side by side, and prints executions/s of
 * each and the ratio. The definition is the synthesized stack's state machine (cdk.out) when there is one, else a
 * saga-shaped Task chain with Retry and Catch defined here.
 */
import '../local/polyfills';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { loadSynthesizedStack } from '../local/cloud-assembly';
import { resolveLocalStack } from '../local/local-stack';
import { AslEngine, type StateMachineDefinition } from '../local/engine';

const RETRY = [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' as const }];

function step(name: string, next: string, compensation: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: name, Payload: { 'sagaId.$': '$$.Execution.Id', 'state.$': '$' } },
    ResultSelector: { 'Payload.$': '$.Payload' },
    ResultPath: `$.results.${name}`,
    Retry: RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: compensation }],
    Next: next,
  };
}

/** A saga-shaped chain: three steps with Retry and Catch, compensations, and a final Succeed. */
const SAGA: StateMachineDefinition = {
  StartAt: 'ReserveInventory',
  States: {
    ReserveInventory: step('ReserveInventory', 'ChargePayment', 'Cancel'),
    ChargePayment: step('ChargePayment', 'ConfirmOrder', 'ReleaseInventory'),
    ConfirmOrder: { ...step('ConfirmOrder', 'Done', 'RefundPayment'), Next: undefined, End: true },
    RefundPayment: { Type: 'Pass', Next: 'ReleaseInventory' },
    ReleaseInventory: { Type: 'Pass', Next: 'Cancel' },
    Cancel: { Type: 'Fail', Error: 'SagaCompensated' },
    Done: { Type: 'Succeed' },
  },
} as unknown as StateMachineDefinition;

function taskStates(machine: StateMachineDefinition, out: string[] = []): string[] {
  for (const [name, state] of Object.entries(machine.States)) {
    if (state.Type === 'Task') out.push(name);
    for (const branch of state.Branches ?? []) taskStates(branch, out);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) taskStates(processor, out);
  }
  return out;
}

async function loadDefinition(file: string | undefined, builtin: boolean): Promise<{ definition: StateMachineDefinition; source: string }> {
  if (file) return { definition: JSON.parse(readFileSync(file, 'utf8')) as StateMachineDefinition, source: file };
  if (builtin) return { definition: SAGA, source: 'built-in saga chain' };
  const projectDir = path.resolve(__dirname, '..');
  if (existsSync(path.join(projectDir, 'cdk.out'))) {
    try {
      const stack = resolveLocalStack(await loadSynthesizedStack({ projectDir, synth: 'never' }));
      const machine = stack.stateMachines[0];
      if (machine) return { definition: machine.definition as unknown as StateMachineDefinition, source: `cdk.out: ${machine.name}` };
    } catch (err: unknown) {
      process.stderr.write(`cdk.out unreadable (${err instanceof Error ? err.message : String(err)}); using the built-in saga\n`);
    }
  }
  return { definition: SAGA, source: 'built-in saga chain' };
}

const INPUT = { orderId: 'ord-1', customerId: 'cus-ada', items: [{ sku: 'SKU-KEYBOARD', quantity: 2 }] };
/** What every task answers at once: a small result, as the saga's functions return (not an echo of the input). */
const answer = (input: unknown): Promise<unknown> =>
  Promise.resolve({
    ExecutedVersion: '$LATEST',
    StatusCode: 200,
    Payload: { ok: true, step: (input as { FunctionName?: unknown } | null)?.FunctionName ?? null, total: 42 },
  });

/** Runs `once` n times; resolves with executions per second and the statuses seen. */
async function timeIt(n: number, once: () => Promise<string>): Promise<{ rate: number; statuses: Map<string, number> }> {
  const started = process.hrtime.bigint();
  const statuses = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const status = await once();
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rate: n / seconds, statuses };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const nIndex = argv.indexOf('--n');
  const n = nIndex >= 0 ? Number(argv[nIndex + 1]) : 2000;
  const defIndex = argv.indexOf('--definition');
  const { definition, source } = await loadDefinition(defIndex >= 0 ? argv[defIndex + 1] : undefined, argv.includes('--builtin'));
  const tasks = taskStates(definition);
  process.stdout.write(`definition: ${source} (${Object.keys(definition.States).length} states, ${tasks.length} tasks); N=${n}\n`);

  const engine = new AslEngine(definition, { tasks: () => answer });
  const ours = async () => (await engine.execute(INPUT)).status;
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const handlers = Object.fromEntries(tasks.map((name) => [name, answer]));
  const theirs = async () => {
    const execution = machine.run(INPUT, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      noThrowOnAbort: true,
      context: { Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:Bench:run', Name: 'run', RedriveCount: 0 } },
    });
    await execution.result;
    return 'done';
  };
  // Warm both up, then alternate rounds so that machine noise hits both alike; report the median round.
  await timeIt(Math.min(200, n), ours);
  await timeIt(Math.min(200, n), theirs);
  const rounds = 5;
  const rates = { ours: [] as number[], theirs: [] as number[] };
  let statuses = new Map<string, number>();
  for (let r = 0; r < rounds; r += 1) {
    const a = await timeIt(Math.ceil(n / rounds), ours);
    statuses = a.statuses;
    rates.ours.push(a.rate);
    rates.theirs.push((await timeIt(Math.ceil(n / rounds), theirs)).rate);
  }
  const o = median(rates.ours);
  const t = median(rates.theirs);
  const line = (label: string, rate: number, extra = '') => `${label.padEnd(26)} ${rate.toFixed(0).padStart(7)} executions/s${extra}\n`;
  process.stdout.write(line('local ASL engine', o, `  (statuses: ${[...statuses].map(([s, c]) => `${s} ${c}`).join(', ')})`));
  process.stdout.write(line('aws-local-stepfunctions', t));
  process.stdout.write(`ratio (ours / aws-local-stepfunctions): ${(o / t).toFixed(2)}×  (median of ${rounds} alternating rounds)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
