import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LambdaPool, LambdaPoolClosedError, workerExecArgv } from '../../local/lambda-pool';
import type { LocalFunction } from '../../local/local-stack';
import { writeFixtureAssembly } from '../helpers/fixture-assembly';

function sleepFunction(): LocalFunction {
  return {
    logicalId: 'SleepFunction',
    name: 'SleepFunction',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:SleepFunction',
    entry: join(writeFixtureAssembly(), 'asset.fixture', 'index.mjs'),
    handlerExport: 'sleep',
    environment: {},
    timeoutSeconds: 5,
    memoryMb: 128,
  };
}

function logFunction(): LocalFunction {
  return { ...sleepFunction(), logicalId: 'LogFunction', name: 'LogFunction', arn: 'arn:aws:lambda:us-east-1:000000000000:function:LogFunction', handlerExport: 'log' };
}

describe.each(['inline', 'worker'] as const)('LambdaPool, functions %s', (isolation) => {
  it('passes what a function prints to onLog, line by line, and runs it alike when nobody listens', async () => {
    const fn = logFunction();
    const lines: string[] = [];
    let bothLines: () => void = () => undefined;
    const heard = new Promise<void>((resolve) => (bothLines = resolve));
    const onLog = (name: string, line: string) => {
      lines.push(`${name}: ${line}`);
      if (lines.length === 2) bothLines();
    };
    const listened = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, onLog, isolation });
    const unheard = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, isolation });
    try {
      await listened.invoke(fn.name, { line: 'hello' });
      const silent = await unheard.invoke(fn.name, { line: 'nobody hears this' });
      // Output travels apart from the result: wait for both lines (stdout and stderr).
      await heard;

      expect(silent).toBeNull();
      expect(lines).toEqual(['LogFunction: hello', 'LogFunction: hello']);
    } finally {
      await Promise.all([listened.close(), unheard.close()]);
    }
  });

  it('rejects invocations waiting for a worker when it closes, and refuses new ones', async () => {
    const fn = sleepFunction();
    const pool = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, maxWorkersPerFunction: 1, isolation });
    const running = pool.invoke(fn.name, { ms: 5_000 });
    running.catch(() => undefined);
    let markQueued: () => void = () => undefined;
    const queuedSeen = new Promise<void>((resolve) => (markQueued = resolve));
    const waiting = pool.invoke(fn.name, { ms: 1 }, { queued: markQueued, started: () => undefined });
    waiting.catch(() => undefined);

    await queuedSeen;
    await pool.close();

    await expect(waiting).rejects.toBeInstanceOf(LambdaPoolClosedError);
    await expect(waiting).rejects.toThrow('the local Lambda pool closed while an invocation of SleepFunction was waiting for a worker');
    await expect(pool.invoke(fn.name, { ms: 1 })).rejects.toBeInstanceOf(LambdaPoolClosedError);
  });

  it('tells a listener when an invocation waits for a worker and when it gets one', async () => {
    const fn = sleepFunction();
    const pool = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, maxWorkersPerFunction: 1, isolation });
    const told: string[] = [];
    const listener = (n: number) => ({ queued: () => told.push(`queued ${n}`), started: () => told.push(`started ${n}`) });
    try {
      await Promise.all([pool.invoke(fn.name, { ms: 50 }, listener(1)), pool.invoke(fn.name, { ms: 1 }, listener(2))]);
    } finally {
      await pool.close();
    }

    expect(told).toEqual(['queued 2', 'started 2']);
  });

  it('with deliverTwice, counts an invocation as started once both deliveries have a worker', async () => {
    const fn = sleepFunction();
    const pool = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, maxWorkersPerFunction: 1, deliverTwice: true, isolation });
    const told: string[] = [];
    try {
      await pool.invoke(fn.name, { ms: 50 }, { queued: () => told.push('queued'), started: () => told.push('started') });
    } finally {
      await pool.close();
    }

    // The second delivery waits behind the first (one worker); the Task's timer is told once of each.
    expect(told).toEqual(['queued', 'started']);
    expect(pool.duplicates).toBe(1);
  });
});

/** Runs test/helpers/stray-probe.ts in a process of its own: this runner replaces the handlers of uncaught errors. */
function strayProbe(isolation: string, kind: string): Promise<{ code: number | null; out: { first: Record<string, string>; second: Record<string, string>; logs: string[] } }> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'test', 'helpers', 'stray-probe.ts'), isolation, kind], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('close', (code) => resolve({ code, out: JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as never }));
  });
}

describe.each(['inline', 'worker'] as const)('LambdaPool, functions %s, an error the code leaves uncaught', (isolation) => {
  it.each(['exception', 'rejection'])('ends the environment at an uncaught %s, fails the invocation with Runtime.ExitError, and runs the next in a fresh one', async (kind) => {
    const { code, out } = await strayProbe(isolation, kind);

    // The process lives on to print both outcomes and exit 0; each invocation ended its environment.
    expect(code).toBe(0);
    expect(out.first).toMatchObject({ name: 'Runtime.ExitError', message: expect.stringContaining(`stray ${kind}`) });
    expect(out.second).toMatchObject({ name: 'Runtime.ExitError', message: expect.stringContaining(`stray ${kind}`) });
  });
});

describe('workerExecArgv', () => {
  it("keeps the parent's Node flags and drops its module loaders, which plain-JavaScript workers do not need", () => {
    const parent = ['--require', '/p/tsx/dist/preflight.cjs', '--import', 'file:///p/tsx/dist/loader.mjs', '--cpu-prof', '--loader=ts-node/esm', '--enable-source-maps', '-r', 'x'];

    expect(workerExecArgv(parent)).toEqual(['--cpu-prof', '--enable-source-maps']);
  });
});

describe('LambdaPool, inline', () => {
  it('stops a timed-out invocation: it fails with Lambda.Unknown, and a request its code makes afterwards is destroyed unsent', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      received.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/late`;
    const fn = { ...sleepFunction(), logicalId: 'LateFunction', name: 'LateFunction', arn: 'arn:aws:lambda:us-east-1:000000000000:function:LateFunction', handlerExport: 'late' };
    // 5 s scaled to 100 ms; the handler makes its request 300 ms in.
    const pool = new LambdaPool(new Map([[fn.name, fn]]), { baseEnvironment: {}, timeoutScale: 0.02, isolation: 'inline' });
    const refused = new Promise<unknown>((resolve) => {
      const watch = ({ request }: { request: ClientRequest }) => {
        if (request.path !== '/late') return;
        unsubscribe('http.client.request.start', watch as never);
        request.once('error', resolve);
      };
      subscribe('http.client.request.start', watch as never);
    });
    try {
      await expect(pool.invoke(fn.name, { ms: 300, url })).rejects.toMatchObject({ name: 'Lambda.Unknown', message: expect.stringContaining('Task timed out after 0.10 seconds') });

      expect(await refused).toMatchObject({ name: 'EnvironmentStoppedError', message: expect.stringContaining('LateFunction') });
      expect(received).toEqual([]);
    } finally {
      await pool.close();
      server.close();
    }
  });
});
