#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { runDemo } from '../cli/demo';
import { runOnce, UsageError } from '../cli/run';
import { writeFileSync } from 'node:fs';
import { generateMockConfig } from '../cli/mock-config';
import { serve } from '../cli/serve';
import { EventsConnectionError, showEvents, type EventsCommandOptions } from '../cli/events';
import { UnsupportedApiError } from '../local/api-errors';
import { UnsupportedPipeError } from '../local/event-errors';
import { DEFAULT_SERVE_ENDPOINT, runRepair, type RepairCommandOptions } from '../cli/repair-command';
import { RepairConnectionError } from '../cli/repair';
import { loadSynthesizedStack } from '../local/cloud-assembly';
import { resolveLocalStack } from '../local/local-stack';
import { MockConfigError } from '../local/mock-config';
import { formatSoak, soak, type SoakOptions } from '../cli/soak';
import { CloudAssemblyError } from '../local/cloud-assembly';
import { LocalSetupError } from '../local/dynamodb-local';
import { UnsupportedDefinitionError } from '../local/asl-support';
import { UnresolvableTemplateError } from '../local/intrinsics';
import { ISOLATIONS, type Isolation } from '../local/lambda-pool';
import { DEFAULT_SERVE_PORT } from '../local/sfn-api';

// The AWS SDK warns once per process that future versions need Node 22; keep the tool's output to the point.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!warning.message.startsWith('NodeVersionSupportWarning')) console.warn(`${warning.name}: ${warning.message}`);
});

const realTime = new Option('--real-time', 'run timeouts and retry waits as deployed (slower)').default(false);
const isolation = new Option(
  '--isolation <kind>',
  'where the functions run: inline (in this process: fast) or worker (a thread each: memory limits, code that never yields stopped at its timeout)',
)
  .choices(ISOLATIONS)
  .default('inline');

const program = new Command('saga')
  .description('Run the order saga locally: no AWS account, no Docker.')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

program
  .command('demo')
  .description('run one saga per scenario and show each path, how it ended, and the stores afterwards')
  .addOption(realTime)
  .addOption(isolation)
  .action(async (options: { realTime: boolean; isolation: Isolation }) => {
    process.exitCode = (await runDemo({ realTime: options.realTime, isolation: options.isolation })) ? 0 : 1;
  });

program
  .command('run')
  .description('run one saga; exit 0 when it succeeds, 1 when it fails, 2 on a usage or setup error')
  .requiredOption('-i, --input <file>', 'the PlaceOrder command as JSON (- for standard input)')
  .option('-f, --fault <Step=Error[:times]>', 'inject a fault at a step (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
  .option('--json', 'print one JSON object {name, status, error, cause, output, path, transitions}', false)
  .addOption(realTime)
  .addOption(isolation)
  .action(async (options: { input: string; fault: string[]; json: boolean; realTime: boolean; isolation: Isolation }) => {
    process.exitCode = await runOnce(options);
  });

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number of at least 1, got ${value}`);
  return n;
};
const share = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${name} must be a number from 0 to 1, got ${value}`);
  return n;
};
const lateWhen = (value: string): 'execution-end' | number => {
  if (value === 'end') return 'execution-end';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--late must be 'end' or a delay in milliseconds, got ${value}`);
  return n;
};

program
  .command('soak')
  .description('run many sagas at once with random faults and check the invariants; exit 1 on any violation')
  .option('-n, --sagas <count>', 'how many sagas to start at once', positive('--sagas'), 1000)
  .option('-s, --seed <number>', 'random seed (the same seed replays the same workload)', positive('--seed'), 1)
  .option('--deliver-twice', 'deliver every Lambda invocation twice (at-least-once delivery)', false)
  .option('--no-timeouts', 'leave out Timeout faults (each costs a function timeout of wall time)')
  .option('--workers <count>', 'most warm execution environments per function', positive('--workers'), 4)
  .addOption(isolation)
  .option('--time-scale <factor>', 'multiply function and Task timeouts (time queued for a local worker never counts)', Number, 1)
  .option('--second-sagas <share>', 'share of orders (0-1) that get a second saga: UUID-named, concurrent or after the first, same or other content', share('--second-sagas'), 0)
  .option('--late <when>', "deliver a late copy of Lambda invocations: 'end' (once the execution ended) or a delay in ms", lateWhen, undefined)
  .option('--late-share <share>', 'share of invocations (0-1) that get a late copy', share('--late-share'), 1)
  .option('--stops <share>', 'share of sagas (0-1) stopped 0-400 ms after they start; the recovery path must compensate them', share('--stops'), 0)
  .action(async (options: SoakOptions) => {
    const result = await soak(options, (message) => console.log(`▸ ${message}`));
    console.log(formatSoak(options, result));
    process.exitCode = result.report.violations.length === 0 ? 0 : 1;
  });

/** A TCP port option: 0-65535, 0 for a free one. */
const portNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`${name} must be 0-65535, got ${v}`);
  return n;
};

program
  .command('serve')
  .description('serve the Step Functions API for the local runtime on 127.0.0.1, for the AWS CLI and SDKs, and a web console beside it')
  .option('-p, --port <port>', 'port of the Step Functions API (0 picks a free one)', portNumber('--port'), DEFAULT_SERVE_PORT)
  .option('--api-port <port>', "port of the stack's REST API (0 picks a free one)", portNumber('--api-port'), 3000)
  .option('--mock-config <file>', "Step Functions Local's mock configuration (default: $SFN_MOCK_CONFIG)")
  .addOption(realTime)
  .addOption(isolation)
  .action(async (options: { port: number; apiPort: number; realTime: boolean; mockConfig?: string; isolation: Isolation }) => {
    await serve(options);
    process.exitCode = 130;
  });

program
  .command('events')
  .description("print the events published on the stack's own buses (OrderConfirmed, OrderCancelled) of a running saga serve")
  .option('--endpoint <url>', `the saga serve to read (default: ${DEFAULT_SERVE_ENDPOINT})`)
  .option('-f, --follow', 'keep printing new events until Ctrl-C', false)
  .option('--json', 'print each event whole, as one JSON line', false)
  .action(async (options: EventsCommandOptions) => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    await showEvents(options, console.log, stop.signal);
  });

program
  .command('repair')
  .description(
    'retry the compensations that failed for good (the compensation-failures queue) of a running saga serve, or on AWS; ' +
      'exit 0 when nothing is left failing, 1 when something still fails, 2 on a usage or connection error',
  )
  .option('--endpoint <url>', `the saga serve to repair (default: ${DEFAULT_SERVE_ENDPOINT})`)
  .option('--list', 'only list the messages: retry nothing, delete nothing', false)
  .option('--json', 'print the report as one JSON object', false)
  .option('--aws', 'repair the deployed stack with your AWS credentials (needs --queue-url)', false)
  .option('--queue-url <url>', 'with --aws: the CompensationFailuresQueueUrl stack output')
  .option('--region <region>', "with --aws: the stack's region (default: the queue URL's)")
  .action(async (options: RepairCommandOptions) => {
    process.exitCode = await runRepair(options);
  });

program
  .command('mock-config')
  .description('write a Step Functions Local MockConfigFile for the stack: a happy path and one case per step and failure kind')
  .option('-o, --out <file>', 'where to write it (default: standard output)')
  .action(async (options: { out?: string }) => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: { faultInjection: 'true' }, onProgress: (m) => console.error(`▸ ${m}`) }));
    const text = `${JSON.stringify(generateMockConfig(stack), null, 2)}\n`;
    if (options.out) {
      writeFileSync(options.out, text);
      console.error(`wrote ${options.out}`);
    } else process.stdout.write(text);
  });

const setupErrors = [MockConfigError, UsageError, RepairConnectionError, EventsConnectionError, UnsupportedApiError, UnsupportedPipeError, LocalSetupError, CloudAssemblyError, UnsupportedDefinitionError, UnresolvableTemplateError];

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
    return;
  }
  const known = setupErrors.some((type) => err instanceof type);
  console.error(`saga: ${err instanceof Error ? err.message : String(err)}`);
  if (!known && err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = 2;
});
