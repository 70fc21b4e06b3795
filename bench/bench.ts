/**
 * `npm run bench -- [--concurrency 1,8,64,256] [--sagas 200] [--workloads happy,mixed] [--isolation inline,worker] [--quick] [--out bench/results]`:
 * the saga on the local runtime against its store floor and its engine floor, measured side by side in one run.
 * Writes `<date>.json`, `<date>.md` and `<date>.svg` to the output folder, and `latest.md` / `latest.svg` beside them.
 * See bench/README.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownReport, svgChart } from './report';
import { runBench, type BenchOptions } from './run-bench';
import { WORKLOAD_KINDS, type WorkloadKind } from './workloads';
import { ISOLATIONS, type Isolation } from '../local/lambda-pool';

// The AWS SDK warns once per process that future versions need Node 22; keep the bench's output to the point.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!warning.message.startsWith('NodeVersionSupportWarning')) console.warn(`${warning.name}: ${warning.message}`);
});

const positive = (name: string) => (value: string) => {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got ${value}`);
  return x;
};
const levels = (value: string) => value.split(',').map((v) => positive('--concurrency')(v.trim()));
const isolations = (value: string): Isolation[] =>
  value.split(',').map((w) => {
    const kind = w.trim() as Isolation;
    if (!(ISOLATIONS as readonly string[]).includes(kind)) throw new InvalidArgumentError(`--isolation takes ${ISOLATIONS.join(', ')}, got ${w}`);
    return kind;
  });
const workloads = (value: string): WorkloadKind[] =>
  value.split(',').map((w) => {
    const kind = w.trim() as WorkloadKind;
    if (!WORKLOAD_KINDS.includes(kind)) throw new InvalidArgumentError(`--workloads takes ${WORKLOAD_KINDS.join(', ')}, got ${w}`);
    return kind;
  });

/** The quick run (CI, the smoke test): two levels, a few sagas, both workloads. */
const QUICK: Pick<BenchOptions, 'concurrency' | 'sagas' | 'warmUpSagas'> = { concurrency: [1, 4], sagas: 4, warmUpSagas: 4 };

interface CliOptions {
  concurrency: number[];
  sagas: number;
  workloads: WorkloadKind[];
  workers?: number;
  isolation: Isolation[];
  seed: number;
  quick: boolean;
  out: string;
  dynamodbEndpoint?: string;
}

const program = new Command('bench')
  .description('the saga on the local runtime against the store floor and the engine floor, side by side in one run')
  .option('-c, --concurrency <levels>', 'sagas in flight at once, comma-separated', levels, [1, 8, 64, 256])
  .option('-n, --sagas <count>', 'sagas per measurement (at least twice the concurrency)', positive('--sagas'), 200)
  .option('-w, --workloads <kinds>', `workloads, comma-separated (${WORKLOAD_KINDS.join(', ')})`, workloads, [...WORKLOAD_KINDS])
  .option('--workers <count>', 'most warm execution environments per function (default: the runtime default)', positive('--workers'))
  .option('--isolation <kinds>', `where the functions run, comma-separated (${ISOLATIONS.join(', ')}): each measured in turn`, isolations, ['inline'])
  .option('-s, --seed <number>', 'seeds the workloads', positive('--seed'), 1)
  .option('--quick', `a quick run: concurrency ${QUICK.concurrency.join(', ')}, a few sagas each (twice the concurrency)`, false)
  .option('-o, --out <dir>', 'where the results go', path.join(__dirname, 'results'))
  .option('--dynamodb-endpoint <url>', 'use this DynamoDB Local instead of starting one (its tables are created if missing)')
  .action(async (cli: CliOptions) => {
    const options: BenchOptions = {
      concurrency: cli.quick ? QUICK.concurrency : cli.concurrency,
      sagas: cli.quick ? QUICK.sagas : cli.sagas,
      ...(cli.quick ? { warmUpSagas: QUICK.warmUpSagas } : {}),
      workloads: cli.workloads,
      workers: cli.workers,
      isolations: cli.isolation,
      seed: cli.seed,
      dynamoDbEndpoint: cli.dynamodbEndpoint,
    };
    const result = await runBench(options, (message) => console.error(`▸ ${message}`));
    mkdirSync(cli.out, { recursive: true });
    const stamp = result.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
    const file = (ext: string) => path.join(cli.out, `${stamp}.${ext}`);
    writeFileSync(file('json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(file('svg'), svgChart(result));
    writeFileSync(file('md'), markdownReport(result, `${stamp}.svg`));
    copyFileSync(file('svg'), path.join(cli.out, 'latest.svg'));
    writeFileSync(path.join(cli.out, 'latest.md'), markdownReport(result, 'latest.svg'));
    console.log(markdownReport(result));
    console.log(`results: ${file('json')}, ${file('md')}, ${file('svg')}`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
});
