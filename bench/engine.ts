/**
 * `npx tsx bench/engine.ts [--n 2000] [--definition FILE | --builtin]`: runs one state machine N times on the local ASL
 * engine with tasks that answer at once, and prints executions/s (the median of 5 rounds after a warm-up of N executions). The
 * definition is the synthesized stack's state machine (cdk.out) when there is one, else a saga-shaped Task chain with
 * Retry and Catch defined here. See bench/README.md for recorded figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
  const once = async () => (await engine.execute(INPUT)).status;
  // Warm up as long as the measured rounds last: the first thousands of executions run slower (JIT, GC sizing).
  await timeIt(n, once);
  const rounds = 5;
  const rates: number[] = [];
  const statuses = new Map<string, number>();
  for (let r = 0; r < rounds; r += 1) {
    const round = await timeIt(Math.ceil(n / rounds), once);
    rates.push(round.rate);
    for (const [status, count] of round.statuses) statuses.set(status, (statuses.get(status) ?? 0) + count);
  }
  const all = [...statuses].map(([s, c]) => `${s} ${c}`).join(', ');
  process.stdout.write(`local ASL engine: ${median(rates).toFixed(0)} executions/s (median of ${rounds} rounds: ${rates.map((x) => x.toFixed(0)).join(', ')}; statuses: ${all})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
