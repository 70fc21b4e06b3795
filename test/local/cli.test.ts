import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the saga command as a user would, optionally sending a signal once stderr shows `signalWhen`. */
function saga(args: string[], options: { signalWhen?: RegExp } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'saga.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '' },
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.signalWhen && !signalled && options.signalWhen.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const refused = (endpoint: string) => fetch(endpoint).then(() => false, () => true);

describe('saga run', () => {
  it('prints one JSON object and exits 0 when the saga succeeds', async () => {
    const run = await saga(['run', '--input', 'examples/orders/happy-path.json', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      name: 'ord-1001',
      status: 'SUCCEEDED',
      error: null,
      cause: null,
      failure: null,
      output: expect.objectContaining({ orderId: 'ord-1001' }),
      path: ['CreateOrder', 'ReserveInventory', 'ChargePaymentAndScheduleShipment', 'ChargePayment', 'ScheduleShipment', 'ConfirmOrder'],
      transitions: 6,
    });
  });

  it('exits 1 when the saga fails, naming the error', async () => {
    const run = await saga(['run', '--input', 'examples/orders/happy-path.json', '--fault', 'ChargePayment=PaymentDeclined']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ord-1001: FAILED SagaCompensated: ChargePayment failed with PaymentDeclined');
    expect(run.stdout).toContain('→ ChargePaymentFailed → CancelShipment → RefundPayment → ReleaseInventory → CancelOrder');
    // What each compensation did, from the structured cause: the injected rejection fires before the payments
    // service writes anything, so the refund finds nothing to undo (and leaves its marker). ScheduleShipment runs
    // beside ChargePayment and its branch is stopped when ChargePayment fails: it may or may not have scheduled the
    // shipment by then, and the cancellation undoes it or finds nothing, both correct.
    expect(run.stdout).toMatch(/^ {2}CancelShipment: ran \((undone|nothing-to-undo)\)$/m);
    expect(run.stdout).toContain('RefundPayment: ran (nothing-to-undo)');
    expect(run.stdout).toContain('ReleaseInventory: ran (undone)');
  });

  it.each([
    ['a missing file', ['--input', 'examples/orders/nope.json'], /cannot read examples\/orders\/nope\.json/],
    ['a bad fault', ['--input', 'examples/orders/happy-path.json', '--fault', 'ChargePaymnet=Error'], /unknown step ChargePaymnet/],
    ['a missing option', [], /required option '-i, --input <file>' not specified/],
  ])('exits 2 with a clear message for %s', async (_what, args, message) => {
    const run = await saga(['run', ...args]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('stops cleanly on Ctrl-C, leaving no DynamoDB Local behind', async () => {
    const run = await saga(['run', '--input', 'examples/orders/compensation-fails.json', '--real-time'], { signalWhen: /seeding/ });

    const endpoint = /DynamoDB Local is up on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stderr)?.[1];
    expect(run.code).toBe(130);
    expect(endpoint).toBeDefined();
    expect(await refused(endpoint!)).toBe(true);
  });
});

describe('saga serve', () => {
  it('serves the order saga to the AWS SDK on a free port, and stops cleanly on Ctrl-C', async () => {
    const { SFNClient, StartExecutionCommand, DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'saga.ts'), 'serve', '--port', '0', '--api-port', '0'], { cwd: ROOT });
    let stdout = '';
    // Wait for both lines: they may arrive in separate chunks.
    const [endpoint, arn] = await new Promise<[string, string]>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /Step Functions API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        const machine = /state machine: (\S+)/.exec(stdout);
        if (found && machine && /Orders API on/.test(stdout)) resolve([found[1], machine[1]]);
      });
      child.on('close', () => reject(new Error(`serve exited early:\n${stdout}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const sfn = new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name: 'ord-1001', input: JSON.stringify({ orderId: 'ord-1001', customerId: 'cus-ada', items: [{ sku: 'SKU-MOUSE', quantity: 1 }] }) }),
      );
      let status = 'RUNNING';
      while (status === 'RUNNING') {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status!;
      }
      expect(status).toBe('SUCCEEDED');

      // The stack's REST API, at the URL the start-up lines state, and the events its pipes publish.
      const api = /Orders API on (http:\/\/127\.0\.0\.1:\d+\/prod\/)/.exec(stdout)![1];
      const placed = await fetch(`${api}orders`, { method: 'POST', body: JSON.stringify({ orderId: 'ord-1002', customerId: 'cus-ada', items: [{ sku: 'SKU-MOUSE', quantity: 1 }] }) });
      expect(placed.status).toBe(202);
      let order = { status: 'PENDING' };
      while (order.status === 'PENDING' || order.status === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        order = (await (await fetch(`${api}orders/ord-1002`)).json()) as { status: string };
      }
      expect(order.status).toBe('CONFIRMED');
      // Wait (cheaply) until the pipes have published both, then read them as a user would.
      let published = 0;
      while (published < 2) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const answer = await fetch(`${endpoint}/saga/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        published = ((await answer.json()) as { events: unknown[] }).events.length;
      }
      const events = (await saga(['events', '--endpoint', endpoint])).stdout;
      expect(events).toMatch(/OrderConfirmed \(\S+\) \{"schemaVersion":"1","orderId":"ord-1001"/);
      expect(events).toMatch(/OrderConfirmed \(\S+\) \{"schemaVersion":"1","orderId":"ord-1002"/);
      expect(stdout).toMatch(/api POST \/prod\/orders → 202/);
    } finally {
      sfn.destroy();
      child.kill('SIGINT');
    }
    expect(await exited).toBe(130);
    expect(await refused(endpoint)).toBe(true);
  });
});
