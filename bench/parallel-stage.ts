/**
 * `npx tsx bench/parallel-stage.ts [--n 40] [--rounds 5]`: the order saga's latency with ChargePayment and
 * ScheduleShipment side by side (the Parallel stage) and one after the other (the same steps as a plain list,
 * synthesized with `-c sequential=true`), in one run on the local runtime, with the same orders. Rounds alternate
 * between the two, so that the machine's load weighs on both alike; each round runs N sagas one at a time (latency,
 * not throughput): half confirmed, half failing at ScheduleShipment with an address the carrier cannot serve. It
 * prints each path's median and 90th percentile, their ratio, and the transitions per path. See bench/README.md.
 */
import { join } from 'node:path';
import { orderStores, type OrderStores } from '../cli/stores';
import { seedCatalogue, seedCustomers } from '../lambdas/domain/seed';
import type { PlaceOrder } from '../lambdas/schemas';
import { LocalRuntime, type ExecutionResult } from '../local/runtime';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const n = arg('n', 40);
const rounds = arg('rounds', 5);

type Variant = 'parallel' | 'sequential';
type Path = 'confirmed' | 'undeliverable';

async function start(variant: Variant): Promise<{ runtime: LocalRuntime; stores: OrderStores }> {
  const runtime = await LocalRuntime.start({
    context: variant === 'sequential' ? { sequential: 'true' } : {},
    // Each variant keeps its own cloud assembly, so that neither re-synthesizes over the other.
    cdkOut: join(process.cwd(), variant === 'sequential' ? 'cdk.out.sequential' : 'cdk.out'),
    onProgress: (m) => process.stderr.write(`▸ ${variant}: ${m}\n`),
  });
  await runtime.warmUp();
  return { runtime, stores: orderStores(runtime) };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function main(): Promise<void> {
  const variants: Variant[] = ['parallel', 'sequential'];
  const running = Object.fromEntries(await Promise.all(variants.map(async (v) => [v, await start(v)] as const))) as Record<Variant, Awaited<ReturnType<typeof start>>>;
  const latencies: Record<Variant, Record<Path, number[]>> = { parallel: { confirmed: [], undeliverable: [] }, sequential: { confirmed: [], undeliverable: [] } };
  const transitions: Record<Variant, Record<Path, Set<string>>> = { parallel: { confirmed: new Set(), undeliverable: new Set() }, sequential: { confirmed: new Set(), undeliverable: new Set() } };
  try {
    for (const v of variants) {
      await seedCatalogue([{ sku: 'SKU-BENCH', price: 100, stock: 1_000_000 }], running[v].stores.inventory);
      await seedCustomers([{ customerId: 'cus-bench', credit: 1_000_000_000 }], running[v].stores.payments);
    }
    const order = (v: Variant, round: number, i: number): { path: Path; input: PlaceOrder } => {
      const path: Path = i % 2 === 0 ? 'confirmed' : 'undeliverable';
      const country = path === 'confirmed' ? 'GB' : 'AQ';
      return {
        path,
        input: {
          orderId: `ord-bench-${v}-${round}-${i}`,
          customerId: 'cus-bench',
          items: [{ sku: 'SKU-BENCH', quantity: 1 }],
          shipTo: { line1: '1 Long Acre', city: 'London', postcode: 'WC2E 9LH', country },
        },
      };
    };
    for (let round = 0; round < rounds + 1; round++) {
      // Round 0 warms both up and is not counted; then the two take turns, first one then the other, then swapped.
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        for (let i = 0; i < n; i++) {
          const { path, input } = order(v, round, i);
          const result: ExecutionResult = await running[v].runtime.startExecution({ name: input.orderId, input }).result;
          const expected = path === 'confirmed' ? 'SUCCEEDED' : 'FAILED';
          if (result.status !== expected) throw new Error(`${v} ${input.orderId} ended ${result.status} ${result.error ?? ''}, expected ${expected}`);
          if (round === 0) continue;
          latencies[v][path].push(result.stopDate.getTime() - result.startDate.getTime());
          transitions[v][path].add(`${result.transitions}: ${result.path.join(' → ')}`);
        }
      }
      process.stderr.write(`▸ round ${round}/${rounds} done\n`);
    }
  } finally {
    await Promise.all(variants.map((v) => running[v].runtime.close()));
  }

  console.log(`order saga on the local runtime, ${rounds} alternating rounds × ${n} sagas per variant, one at a time (Node ${process.version})`);
  for (const path of ['confirmed', 'undeliverable'] as const) {
    const [p, s] = variants.map((v) => latencies[v][path]);
    console.log(
      `${path.padEnd(13)} parallel median ${percentile(p, 50)} ms (p90 ${percentile(p, 90)}), sequential median ${percentile(s, 50)} ms (p90 ${percentile(s, 90)}); ` +
        `parallel / sequential: ${(percentile(p, 50) / percentile(s, 50)).toFixed(2)}× median, ${(percentile(p, 90) / percentile(s, 90)).toFixed(2)}× p90`,
    );
  }
  for (const v of variants) for (const path of ['confirmed', 'undeliverable'] as const) for (const t of transitions[v][path]) console.log(`  ${v} ${path}: ${t}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
