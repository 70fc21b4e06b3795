import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RepairReport } from '../../cli/repair';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SAGA = join(ROOT, 'bin', 'saga.ts');
// Each test process starts its own DynamoDB Local, not the test run's.
const env = { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the saga command as a user would. */
function saga(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSX, SAGA, ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A raw request, with headers fetch would not let a test choose (Host). */
function rawRequest(url: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

let serve: ChildProcessWithoutNullStreams;
let endpoint: string;
let arn: string;
let startup: string;
let sfn: SFNClient;

beforeAll(async () => {
  serve = spawn(process.execPath, [TSX, SAGA, 'serve', '--port', '0'], { cwd: ROOT, env });
  let stdout = '';
  [endpoint, arn] = await new Promise<[string, string]>((resolve, reject) => {
    serve.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /Step Functions API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      const machine = /state machine: (\S+)/.exec(stdout);
      if (found && machine && /saga repair/.test(stdout)) resolve([found[1], machine[1]]);
    });
    serve.on('close', () => reject(new Error(`serve exited early:\n${stdout}`)));
  });
  startup = stdout;
  sfn = new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 120_000);
afterAll(async () => {
  sfn?.destroy();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve.on('close', resolve));
    serve.kill('SIGINT');
    await exited;
  }
});

/** Starts a saga through the Step Functions API and waits for it to end. */
async function runSaga(orderId: string, faults: Record<string, unknown>): Promise<string> {
  const input = { orderId, customerId: 'cus-ada', items: [{ sku: 'SKU-MOUSE', quantity: 1 }], faults };
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: orderId, input: JSON.stringify(input) }));
  for (;;) {
    const { status, error } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return `${status} ${error}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const report = (run: Run) => JSON.parse(run.stdout) as RepairReport;

describe('saga repair against a running saga serve', () => {
  it('tells how to run it in the start-up lines of saga serve', () => {
    expect(startup).toContain(`npx saga repair --endpoint ${endpoint} --list`);
  });

  it('lists a failed refund (exit 1), repairs it (exit 0), then finds the queue empty (exit 0)', async () => {
    const ended = await runSaga('ord-cli-repair-1', { ConfirmOrder: 'Error', RefundPayment: { error: 'Error', times: 9 } });

    const listed = await saga(['repair', '--endpoint', endpoint, '--list', '--json']);
    const repaired = await saga(['repair', '--endpoint', endpoint, '--json']);
    const empty = await saga(['repair', '--endpoint', endpoint, '--list']);

    expect(ended).toBe('FAILED SagaCompensationFailed');
    expect(listed.code).toBe(1);
    expect(report(listed)).toMatchObject({ dryRun: true, listed: [{ kind: 'compensation', step: 'RefundPayment', orderId: 'ord-cli-repair-1' }] });
    expect(repaired.code).toBe(0);
    expect(report(repaired)).toMatchObject({ dryRun: false, repaired: [{ step: 'RefundPayment', orderId: 'ord-cli-repair-1', outcome: 'undone' }], stillFailing: [] });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^Compensation-failures queue \S+: empty$/m);
  });

  it('exits 1 and says so in plain text when a compensation still fails', async () => {
    await runSaga('ord-cli-repair-2', { ConfirmOrder: 'Error', RefundPayment: 'Error' });

    const run = await saga(['repair', '--endpoint', endpoint]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✘ RefundPayment of ord-cli-repair-2: still fails with Error: injected fault at RefundPayment; kept on the queue');
    expect(run.stdout).toContain('0 repaired, 1 still failing, 0 unreadable');
  });

  it.each([
    ['no saga serve', async () => ['repair', '--endpoint', `http://127.0.0.1:${await closedPort()}`], /^saga: no saga serve on http:\/\/127\.0\.0\.1:\d+: start one with npm run serve$/m],
    ['--aws without a queue', () => Promise.resolve(['repair', '--aws']), /--aws needs --queue-url <url>/],
    ['--queue-url without --aws', () => Promise.resolve(['repair', '--queue-url', 'https://sqs.us-east-1.amazonaws.com/1/q']), /--queue-url and --region go with --aws/],
  ])('exits 2 with a clear message for %s', async (_what, args, message) => {
    const run = await saga(await args());

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a repair request that is not JSON or names another host than the loopback', async () => {
    const url = `${endpoint}/saga/repair`;

    const textPlain = await rawRequest(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    const rebound = await rawRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Host: 'attacker.example' }, body: '{}' });
    const fine = await rawRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });

    expect([textPlain, rebound, fine]).toEqual([415, 403, 200]);
  });
});
