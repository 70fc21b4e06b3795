import { readFileSync } from 'node:fs';
import { InjectableFaults } from '../lambdas/errors';
import { FaultableSteps, type FaultSpec } from '../lambdas/schemas';
import { parseSagaFailureCause } from '../lib/saga-errors';
import { compensationLines, outcome, stepFailure } from './explain';
import { formatPath } from './format';
import { startSession, type Pace } from './session';

/** A problem with how the command was called or set up (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface RunOptions extends Pace {
  readonly input: string;
  readonly fault: readonly string[];
  readonly json: boolean;
}

/** Parses `Step=Error` or `Step=Error:times` (fail only the first `times` attempts). */
export function parseFault(text: string): [string, FaultSpec] {
  const match = /^([A-Za-z]+)=([A-Za-z.]+)(?::(\d+))?$/.exec(text);
  if (!match) throw new UsageError(`--fault ${text}: expected Step=Error or Step=Error:times, e.g. ChargePayment=PaymentDeclined`);
  const [, step, error, times] = match;
  if (!(FaultableSteps as readonly string[]).includes(step)) {
    throw new UsageError(`--fault ${text}: unknown step ${step}; one of ${FaultableSteps.join(', ')}`);
  }
  if (!(InjectableFaults as readonly string[]).includes(error)) {
    throw new UsageError(`--fault ${text}: unknown error ${error}; one of ${InjectableFaults.join(', ')}`);
  }
  const name = error as (typeof InjectableFaults)[number];
  return [step, times === undefined ? name : { error: name, times: Number(times) }];
}

function readInput(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err: unknown) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** `saga run`: one execution on the local runtime. Resolves to the exit code: 0 SUCCEEDED, 1 otherwise. */
export async function runOnce(options: RunOptions): Promise<number> {
  let input = readInput(options.input);
  const faults = Object.fromEntries(options.fault.map(parseFault));
  if (Object.keys(faults).length > 0) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError('--fault needs the input to be a JSON object');
    const record = input as Record<string, unknown>;
    input = { ...record, faults: { ...(record.faults as object | undefined), ...faults } };
  }
  const orderId = (input as { orderId?: unknown } | null)?.orderId;
  const progress = (message: string) => process.stderr.write(`▸ ${message}\n`);
  const session = await startSession(options, options.json ? () => undefined : progress);
  try {
    const name = typeof orderId === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(orderId) ? orderId : undefined;
    const result = await session.runtime.startExecution({ name, input }).result;
    if (options.json) {
      const { name: executionName, status, error, cause, output, path, transitions } = result;
      // A saga that failed and compensated has a JSON cause: `failure` is it, parsed (see SagaFailureCause).
      const failure = parseSagaFailureCause(cause) ?? null;
      console.log(JSON.stringify({ name: executionName, status, error: error ?? null, cause: cause ?? null, failure, output: output ?? null, path, transitions }));
    } else {
      console.log(`${result.name}: ${outcome(result)}`);
      console.log(`  ${formatPath(result.path, '    ')}`);
      console.log(`  ${result.transitions} transitions${result.retries ? `, ${result.retries} retries` : ''}`);
      const failure = stepFailure(result);
      if (failure) console.log(`  step error ${failure.error}: ${failure.message ?? ''}`);
      for (const line of compensationLines(result.cause)) console.log(`  ${line}`);
      if (result.status === 'SUCCEEDED') console.log(JSON.stringify(result.output, null, 2));
    }
    return result.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await session.close();
  }
}
