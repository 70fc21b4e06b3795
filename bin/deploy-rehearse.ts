#!/usr/bin/env node
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { PrerequisiteMissing } from '../scripts/deploy-rehearsal/errors';
import { type DeployMethod, DeployRehearsal } from '../scripts/deploy-rehearsal/rehearsal';
import { formatReport, rehearsalExitCode } from '../scripts/deploy-rehearsal/report';

/**
 * A deploy rehearsal with no AWS account: cdklocal bootstrap and deploy against a moto_server on loopback, then
 * what moto holds, checked against the cloud assembly (docs/deploy-rehearsal.md).
 */
interface Options {
  method: DeployMethod;
  context: string[];
  requireComplete: boolean;
  workDir?: string;
}

const program = new Command('deploy-rehearse')
  .description('cdklocal bootstrap + deploy against moto on 127.0.0.1; exits 1 unless bootstrap and asset publishing are proved, 2 without moto')
  .addOption(new Option('--method <method>', 'how cdk deploy creates the stack').choices(['direct', 'change-set']).default('direct'))
  .option('-c, --context <key=value>', 'context for the synth (repeatable), e.g. -c stage=dev', (value: string, all: string[]) => [...all, value], [])
  .option('--require-complete', 'exit 1 unless every stack reaches CREATE_COMPLETE', false)
  .option('--work-dir <dir>', 'where the cloud assembly and the logs go (default: a new folder under the temp dir)')
  .action(async (options: Options) => {
    const context: Record<string, string> = {};
    for (const pair of options.context) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`-c ${pair}: expected key=value`);
      context[pair.slice(0, at)] = pair.slice(at + 1);
    }
    const workDir = options.workDir ? resolve(options.workDir) : mkdtempSync(join(tmpdir(), 'deploy-rehearsal-'));
    const rehearsal = new DeployRehearsal({ projectDir: process.cwd(), workDir, method: options.method, context });
    const interrupted = (signal: NodeJS.Signals, code: number) => {
      console.error(`\ndeploy-rehearse: ${signal}, stopping moto_server`);
      void rehearsal.abort().finally(() => process.exit(code));
    };
    process.once('SIGINT', () => interrupted('SIGINT', 130));
    process.once('SIGTERM', () => interrupted('SIGTERM', 143));
    process.once('exit', () => rehearsal.killNow());
    const result = await rehearsal.run();
    process.stdout.write(formatReport(result, options.requireComplete));
    process.exitCode = rehearsalExitCode(result, options.requireComplete);
  });

program.parseAsync().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  const causeLine = err instanceof Error && err.cause instanceof Error ? err.cause.message.trim().split('\n').pop() : undefined;
  const cause = causeLine ? `\n  cause: ${causeLine}` : '';
  console.error(`deploy-rehearse: ${message}${cause}`);
  process.exit(err instanceof PrerequisiteMissing ? 2 : 1);
});
