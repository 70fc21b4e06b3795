/**
 * Run as its own process by test/local/lambda-pool.test.ts (the test runner replaces the process's handlers of
 * uncaught errors while a test runs): invokes a function whose code leaves an error uncaught, twice, and prints what
 * each invocation gave as one JSON line. `npx tsx test/helpers/stray-probe.ts <inline|worker> <exception|rejection>`
 */
import { join } from 'node:path';
import { LambdaPool, type Isolation } from '../../local/lambda-pool';
import { writeFixtureAssembly } from './fixture-assembly';

async function main(): Promise<void> {
  const [isolation, kind] = process.argv.slice(2) as [Isolation, string];
  const fn = {
    logicalId: 'StrayFunction',
    name: 'StrayFunction',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:StrayFunction',
    entry: join(writeFixtureAssembly(), 'asset.fixture', 'index.mjs'),
    handlerExport: 'stray',
    environment: {},
    timeoutSeconds: 5,
    memoryMb: 128,
  };
  const logs: string[] = [];
  const pool = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, maxWorkersPerFunction: 1, isolation, onLog: (_name, line) => logs.push(line) });
  const outcome = (p: Promise<unknown>) => p.then(
    (value) => ({ value }),
    (err: Error) => ({ name: err.name, message: err.message }),
  );
  const first = await outcome(pool.invoke(fn.name, { kind }));
  const second = await outcome(pool.invoke(fn.name, { kind }));
  await pool.close();
  process.stdout.write(`${JSON.stringify({ first, second, logs })}\n`);
}

void main();
