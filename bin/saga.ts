#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { runDemo } from '../cli/demo';
import { runOnce, UsageError } from '../cli/run';
import { CloudAssemblyError } from '../local/cloud-assembly';
import { LocalSetupError } from '../local/dynamodb-local';
import { UnsupportedDefinitionError } from '../local/asl-support';
import { UnresolvableTemplateError } from '../local/intrinsics';

// The AWS SDK warns once per process that future versions need Node 22; keep the tool's output to the point.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!warning.message.startsWith('NodeVersionSupportWarning')) console.warn(`${warning.name}: ${warning.message}`);
});

const realTime = new Option('--real-time', 'run timeouts and retry waits as deployed (slower)').default(false);

const program = new Command('saga')
  .description('Run the order saga locally: no AWS account, no Docker.')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

program
  .command('demo')
  .description('run one saga per scenario and show each path, how it ended, and the stores afterwards')
  .addOption(realTime)
  .action(async (options: { realTime: boolean }) => {
    process.exitCode = (await runDemo({ realTime: options.realTime })) ? 0 : 1;
  });

program
  .command('run')
  .description('run one saga; exit 0 when it succeeds, 1 when it fails, 2 on a usage or setup error')
  .requiredOption('-i, --input <file>', 'the PlaceOrder command as JSON (- for standard input)')
  .option('-f, --fault <Step=Error[:times]>', 'inject a fault at a step (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
  .option('--json', 'print one JSON object {name, status, error, cause, output, path, transitions}', false)
  .addOption(realTime)
  .action(async (options: { input: string; fault: string[]; json: boolean; realTime: boolean }) => {
    process.exitCode = await runOnce(options);
  });

const setupErrors = [UsageError, LocalSetupError, CloudAssemblyError, UnsupportedDefinitionError, UnresolvableTemplateError];

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
