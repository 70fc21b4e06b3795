import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InjectableFaults } from '../lambdas/errors';
import { FaultableSteps, placeOrder } from '../lambdas/schemas';
import type { ConsoleSources } from '../local/console/console-routes';
import { RawContent, type ExtraRoute } from '../local/sfn-api';
import { RepairPaths } from './repair-local';

/**
 * What the console shows of the order saga beyond the Step Functions API: the example orders, the faults that can
 * be injected, the PlaceOrder validation, and the repair routes of `saga serve`.
 */

const EXAMPLES_DIR = join(__dirname, '..', 'examples', 'orders');

/** The example orders of `examples/orders/`, by file name (the happy path first). */
export function exampleOrders(dir = EXAMPLES_DIR): Record<string, unknown> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => Number(b === 'happy-path.json') - Number(a === 'happy-path.json') || a.localeCompare(b));
  return Object.fromEntries(files.map((f) => [basename(f, '.json'), JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown]));
}

/** The problems the saga's first step would reject the input for (as `InvalidOrder`), one line each. */
export function placeOrderProblems(input: unknown): string[] {
  const parsed = placeOrder.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
}

/** The console's sources for `saga serve` on the order saga. */
export function orderSagaConsole(extra: Partial<ConsoleSources> = {}): ConsoleSources {
  return {
    examples: exampleOrders(),
    faults: { field: 'faults', steps: FaultableSteps, errors: InjectableFaults },
    validate: placeOrderProblems,
    repair: { list: RepairPaths.list, repair: RepairPaths.repair },
    ...extra,
  };
}

/**
 * The console's way to the Orders API: the page may only call its own origin, and the local REST API (like the
 * deployed one) allows no other, so `saga serve` forwards the page's command to the API's `POST /orders` and answers
 * the API's own status and body.
 */
export const ordersApiRoute = {
  path: '/console/orders',
  route(apiUrl: string): ExtraRoute {
    return {
      method: 'POST',
      path: ordersApiRoute.path,
      handle: async (body: unknown) => {
        const res = await fetch(new URL('orders', apiUrl), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? null) });
        return new RawContent(res.headers.get('content-type') ?? 'application/json', Buffer.from(await res.arrayBuffer()), {}, res.status);
      },
    };
  },
};
