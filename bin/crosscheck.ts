#!/usr/bin/env node
/**
 * `npm run crosscheck [-- --require] [--python PATH]`: every test case of the generated MockConfigFile (the saga's and
 * its recovery's), on our engine and on moto's port of LocalStack's interpreter in strict mode, compared case by case
 * (see docs/crosscheck.md). Exit code 0 when every case agrees, or when moto is not installed (skipped, with a line
 * saying why; 1 with --require); 1 on any disagreement; 2 when a side cannot run at all.
 */
import { Command } from 'commander';
import { formatReport, runCrosscheck } from '../cli/crosscheck/run';

// The AWS SDK warns once per process that future versions need Node 22; keep the tool's output to the point.
process.removeAllListeners('warning');

const program = new Command('crosscheck')
  .description("run the MockConfigFile's cases on our engine and on moto's interpreter (strict), and compare them")
  .option('--require', 'fail (exit 1) instead of skipping when python3 or moto is missing', false)
  .option('--python <path>', 'the Python that has moto', process.env.CROSSCHECK_PYTHON || 'python3')
  .action(async (options: { require: boolean; python: string }) => {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    const report = await runCrosscheck({ python: options.python, onProgress: (m) => console.error(`▸ ${m}`) });
    console.log(formatReport(report));
    if ('skipped' in report) process.exitCode = options.require ? 1 : 0;
    else process.exitCode = report.cases.every((c) => c.differences.length === 0) ? 0 : 1;
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`crosscheck: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
