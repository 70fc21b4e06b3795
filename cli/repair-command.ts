import { awsRepairPort } from './repair-aws';
import { requestRepair } from './repair-local';
import { formatRepairReport, repairCompensationFailures, repairExitCode, type RepairReport } from './repair';
import { UsageError } from './run';
import { DEFAULT_SERVE_PORT } from '../local/sfn-api';

/** Where `saga repair` looks when no endpoint is given: `saga serve`'s default. */
export const DEFAULT_SERVE_ENDPOINT = `http://127.0.0.1:${DEFAULT_SERVE_PORT}`;

/** Options of `saga repair`. */
export interface RepairCommandOptions {
  /** The `saga serve` to repair (local). @default DEFAULT_SERVE_ENDPOINT */
  readonly endpoint?: string;
  /** Only list the messages. */
  readonly list: boolean;
  /** Print the report as one JSON object. */
  readonly json: boolean;
  /** Repair the queue on AWS instead, with the caller's credentials. */
  readonly aws: boolean;
  readonly queueUrl?: string;
  readonly region?: string;
}

/**
 * `saga repair`: lists or repairs the compensation-failures queue of a running `saga serve`, or of a deployed stack
 * (`--aws --queue-url`). Returns the exit code: 0 when nothing is left on the queue, 1 when something still
 * fails (or, with `--list`, when the queue is not empty).
 * @throws UsageError for options that do not go together
 * @throws RepairConnectionError when the queue cannot be reached
 */
export async function runRepair(options: RepairCommandOptions, print: (text: string) => void = console.log): Promise<number> {
  let report: RepairReport;
  if (options.aws) {
    if (!options.queueUrl) throw new UsageError('--aws needs --queue-url <url> (the stack output CompensationFailuresQueueUrl)');
    if (options.endpoint) throw new UsageError('--endpoint is for a local saga serve; leave it out with --aws');
    const port = awsRepairPort({ queueUrl: options.queueUrl, region: options.region });
    try {
      report = await repairCompensationFailures(port, { dryRun: options.list });
    } finally {
      port.destroy();
    }
  } else {
    if (options.queueUrl || options.region) throw new UsageError('--queue-url and --region go with --aws');
    report = await requestRepair(options.endpoint ?? DEFAULT_SERVE_ENDPOINT, { list: options.list });
  }
  print(options.json ? JSON.stringify(report) : formatRepairReport(report));
  return repairExitCode(report);
}
