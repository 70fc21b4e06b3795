import { DemoCatalogue, DemoCustomers } from '../lambdas/domain/seed';
import type { ExecutionResult } from '../local/runtime';
import { compensationLines, outcome, stepFailure } from './explain';
import { formatCents, formatPath, table } from './format';
import { DemoScenarios, differences } from './scenarios';
import { startSession, type Pace } from './session';
import { snapshot } from './stores';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * `saga demo`: runs one execution per scenario on the local runtime and prints each path, how it ended, and the
 * stores afterwards. Resolves to true when every scenario ended as expected.
 */
export async function runDemo(pace: Pace, print: (line?: string) => void = console.log): Promise<boolean> {
  const started = Date.now();
  print('Serverless Saga: the order saga on the local runtime (no AWS account, no Docker)');
  const session = await startSession(pace, (message) => print(`  ▸ ${message} (${seconds(Date.now() - started)})`));
  try {
    const { runtime, stores } = session;
    print(
      pace.realTime
        ? '  ▸ timeouts and retry waits run as deployed'
        : '  ▸ timeouts run at 0.3× and retry waits take 20 ms, to keep the demo short (--real-time runs them as deployed)',
    );
    print();
    let allAsExpected = true;
    const results: ExecutionResult[] = [];
    for (const [i, scenario] of DemoScenarios.entries()) {
      const result = await runtime.startExecution({ name: scenario.name ?? scenario.input.orderId, input: scenario.input }).result;
      results.push(result);
      const problems = differences(scenario.expect, result);
      allAsExpected &&= problems.length === 0;
      const took = seconds(result.stopDate.getTime() - result.startDate.getTime());
      const label = scenario.name ? `${scenario.input.orderId}, execution ${scenario.name}` : scenario.input.orderId;
      print(`${String(i + 1).padStart(2)}. ${scenario.title}  [${label}]  ${problems.length === 0 ? '✔' : '✘'} ${outcome(result)}`);
      print(`    ${formatPath(result.path, '      ')}`);
      const failure = result.status === 'FAILED' ? stepFailure(result) : undefined;
      const detail = [
        `${result.transitions} transitions`,
        result.retries > 0 ? `${result.retries} retries` : undefined,
        took,
        i === 0 ? `first saga done ${seconds(Date.now() - started)} after start` : undefined,
      ].filter(Boolean);
      print(`    ${detail.join(', ')}${failure ? `; step error ${failure.error}: ${failure.message ?? ''}` : ''}`);
      for (const line of compensationLines(result.cause)) print(`      ${line}`);
      for (const problem of problems) print(`    ✘ ${problem}`);
    }

    const after = await snapshot(stores);
    print();
    print('Stock');
    print(table(['SKU', 'before', 'after'], DemoCatalogue.map((c) => [c.sku, String(c.stock), String(after.stock[c.sku])])));
    print();
    print('Credit');
    print(table(['customer', 'before', 'after'], DemoCustomers.map((c) => [c.customerId, formatCents(c.credit), formatCents(after.credit[c.customerId])])));
    print();
    print('Orders');
    print(
      table(
        ['order', 'status', 'failure'],
        [...new Set(DemoScenarios.map((s) => s.input.orderId))].map((id) => [id, after.orders[id]?.status ?? '(none: nothing written)', after.orders[id]?.failure ?? '']),
      ),
    );
    const messages = runtime.queues.peek(runtime.stack.outputs.CompensationFailuresQueueUrl ?? '');
    print();
    print(`Compensation-failures queue: ${messages.length} message${messages.length === 1 ? '' : 's'} for a person to act on`);
    for (const m of messages) {
      const body = JSON.parse(m.body) as { sagaId: string; step: string; error: string; input?: { orderId?: string } };
      print(`  ${body.input?.orderId ?? body.sagaId}: ${body.step} failed with ${body.error} (saga ${body.sagaId.split(':').pop()})`);
    }
    const confirmed = new Set(DemoScenarios.filter((_, i) => results[i].status === 'SUCCEEDED').map((s) => s.input.orderId));
    const stuck = after.activeCharges.filter((order) => !confirmed.has(order));
    if (stuck.length > 0) print(`  still charged after compensation, to refund by hand: ${stuck.join(', ')}`);
    print();
    print(
      allAsExpected
        ? `All ${DemoScenarios.length} scenarios ended as expected (${seconds(Date.now() - started)}).`
        : 'Some scenarios did not end as expected (✘ above).',
    );
    return allAsExpected;
  } finally {
    await session.close();
  }
}
