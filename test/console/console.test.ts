import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { get } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { orderSagaConsole } from '../../cli/console-sources';
import { repairRoutes } from '../../cli/repair-local';
import { orderStores, seedDemoData } from '../../cli/stores';
import { consoleRoutes } from '../../local/console/console-routes';
import { LocalRuntime } from '../../local/runtime';
import { startStepFunctionsServer, type StepFunctionsServer } from '../../local/sfn-api';
import { E2E_CONTEXT } from '../helpers/global-setup';
import { isLoopback, listeningSockets } from '../helpers/listening-sockets';
import { uniqueId } from '../helpers/tables';

/**
 * The console in a real headless Chromium (Debian's package, driven by playwright-core), against `saga serve`'s
 * pieces: a runtime with its own DynamoDB Local (so its tables hold only this file's orders and the demo data), the
 * Step Functions API, the repair routes and the console. Screenshots go to test-artifacts/console/ (ignored by git).
 */

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'console');
/** The README's picture of a compensated saga, refreshed with SAVE_README_SCREENSHOT=1. */
const README_SCREENSHOT = join(__dirname, '..', '..', 'docs', 'console-compensated-saga.png');
const WAIT = { timeout: 60_000 };
// A browser, a DynamoDB Local and a whole saga per test: generous under a loaded machine; every wait is on page state.
jest.setTimeout(120_000);

let runtime: LocalRuntime;
let server: StepFunctionsServer;
let browser: Browser;
let page: Page;
let sfn: SFNClient;
/** Errors the page raised or logged (a script error, a request the content security policy refused, a failed load). */
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const [started, launched] = await Promise.all([
    // Timeouts as deployed (a loaded machine must not turn a step into a timeout), retries without waiting.
    LocalRuntime.start({ context: E2E_CONTEXT, synth: 'never', retryDelayMs: 5 }),
    chromium.launch({ executablePath: '/usr/bin/chromium' }),
  ]);
  runtime = started;
  browser = launched;
  await Promise.all([seedDemoData(orderStores(runtime)), runtime.warmUp()]);
  server = await startStepFunctionsServer(runtime, { port: 0, routes: [...repairRoutes(runtime), ...consoleRoutes(runtime, orderSagaConsole())] });
  sfn = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => (message.type() === 'error' ? pageErrors.push(message.text()) : undefined));
  await page.goto(`${server.endpoint}/`);
  await page.waitForSelector('#graph svg [data-state="ReserveInventory"]', WAIT);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  sfn?.destroy();
  await server?.close();
  await runtime?.close();
});

/** The bytes of a response sent gzipped (it must be). */
function gzippedSize(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let size = 0;
      res.on('data', (chunk: Buffer) => (size += chunk.length));
      res.on('end', () => (res.headers['content-encoding'] === 'gzip' ? resolve(size) : reject(new Error(`${url} was not sent gzipped`))));
    }).on('error', reject);
  });
}

/** Loads an example into the form with its own orderId (the execution's name too), and answers it. */
async function loadExample(example: string): Promise<string> {
  const orderId = uniqueId('ord-console');
  await page.selectOption('#example', example);
  await page.dispatchEvent('#example', 'change');
  const input = JSON.parse(await page.inputValue('#input')) as Record<string, unknown>;
  await page.fill('#input', JSON.stringify({ ...input, orderId }, null, 2));
  await page.fill('#execution-name', orderId);
  await page.waitForSelector('#input[data-validation="ok"]', WAIT);
  return orderId;
}

async function startAndWait(status: string): Promise<void> {
  await page.click('#start');
  await page.waitForSelector(`#execution-status[data-status="${status}"]`, WAIT);
}

/** An element as the page functions below read it (the tests compile without the DOM's types). */
type Attributed = { getAttribute(name: string): string | null };

const marks = () =>
  page.$$eval('#graph [data-state]', (nodes: Attributed[]): Record<string, string> =>
    Object.fromEntries(nodes.map((n): [string, string] => [n.getAttribute('data-state')!, n.getAttribute('data-mark')!]).filter(([, m]) => m !== 'none')),
  );

describe('the console', () => {
  it('draws the state machine from its definition, forward steps apart from the states reached by a Catch', async () => {
    const lanes = await page.$$eval('#graph g.node', (nodes: Attributed[]): Record<string, string> =>
      Object.fromEntries(nodes.map((n): [string, string] => [n.getAttribute('data-state')!, n.getAttribute('class')!])),
    );

    expect(lanes.ReserveInventory).toContain('forward');
    expect(lanes.ChargePayment).toContain('forward');
    expect(lanes.RefundPayment).toContain('failure');
    expect(lanes.CancelOrder).toContain('failure');
    expect(lanes.SagaCompensated).toContain('fail');
    expect(await page.$$eval('#graph path.edge.catch', (edges) => edges.length)).toBeGreaterThan(5);
  });

  it('starts a happy saga from the form and shows its path, its history and what it wrote', async () => {
    const orderId = await loadExample('happy-path');

    await startAndWait('SUCCEEDED');

    expect(await marks()).toEqual({
      CreateOrder: 'succeeded',
      ReserveInventory: 'succeeded',
      ChargePaymentAndScheduleShipment: 'succeeded',
      ChargePayment: 'succeeded',
      ScheduleShipment: 'succeeded',
      'ChargePaymentAndScheduleShipment·end': 'succeeded',
      ConfirmOrder: 'succeeded',
    });
    const entered = page.locator('#history tr[data-type="TaskStateEntered"][data-state="ReserveInventory"] details[data-field="input"] pre');
    expect(await entered.textContent()).toContain(`"orderId": "${orderId}"`);
    await page.waitForSelector(`[data-table^="OrdersTable"] tr[data-key="ORDER#${orderId}"] td[data-column="status"]:text("CONFIRMED")`, WAIT);
    await page.waitForSelector('[data-table^="InventoryTable"] tr[data-key="SKU#SKU-KEYBOARD"] td[data-column="stock"]:text-is("48")', WAIT);
    await page.screenshot({ path: join(ARTIFACTS, 'happy-saga.png') });
  });

  it('starts a saga with a fault picked per step, and shows it compensated', async () => {
    const orderId = await loadExample('happy-path');
    await page.selectOption('#faults select[data-step="ConfirmOrder"]', 'Error');
    await page.waitForSelector('#input[data-validation="ok"]', WAIT);
    expect(JSON.parse(await page.inputValue('#input'))).toMatchObject({ orderId, faults: { ConfirmOrder: 'Error' } });

    await startAndWait('FAILED');

    expect(await marks()).toEqual({
      CreateOrder: 'succeeded',
      ReserveInventory: 'succeeded',
      ChargePaymentAndScheduleShipment: 'succeeded',
      ChargePayment: 'succeeded',
      ScheduleShipment: 'succeeded',
      'ChargePaymentAndScheduleShipment·end': 'succeeded',
      ConfirmOrder: 'caught',
      CancelShipment: 'compensating',
      RefundPayment: 'compensating',
      ReleaseInventory: 'compensating',
      CancelOrder: 'compensating',
      CheckCompensations: 'compensating',
      SagaCompensated: 'failed',
    });
    expect(await page.textContent('[data-testid="failure"] h3')).toBe('Error: SagaCompensated');
    const taken = await page.$$eval('#graph path.edge.taken', (edges: Attributed[]) => edges.map((e) => `${e.getAttribute('data-from')}→${e.getAttribute('data-to')}`));
    expect(taken).toEqual(expect.arrayContaining(['ChargePaymentAndScheduleShipment·end→ConfirmOrder', 'ConfirmOrder→CancelShipment', 'CancelShipment→RefundPayment', 'RefundPayment→ReleaseInventory', 'CancelOrder→CheckCompensations']));
    expect(taken).not.toContain('ReserveInventory→CancelOrder');
    await page.waitForSelector(`[data-table^="OrdersTable"] tr[data-key="ORDER#${orderId}"] td[data-column="status"]:text("CANCELLED")`, WAIT);
    // The execution view down to its input: the path on the graph and the failure (the history follows below).
    const [panel, io] = await page.evaluate<{ x: number; y: number; width: number; bottom: number }[]>(`[document.querySelector('#execution-panel'), document.querySelector('#io')]
      .map((e) => { const r = e.getBoundingClientRect(); return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, bottom: r.bottom + scrollY }; })`);
    await page.screenshot({ path: join(ARTIFACTS, 'compensated-saga.png'), fullPage: true, clip: { x: panel.x, y: panel.y, width: panel.width, height: io.bottom + 8 - panel.y } });
    if (process.env.SAVE_README_SCREENSHOT === '1') copyFileSync(join(ARTIFACTS, 'compensated-saga.png'), README_SCREENSHOT);
  });

  it('shows validation errors before sending, and sends nothing', async () => {
    await loadExample('happy-path');
    const before = await page.$$eval('#executions tbody tr', (rows) => rows.length);

    await page.fill('#input', '{ "orderId": ');
    await page.waitForSelector('#input[data-validation="invalid"]', WAIT);
    expect(await page.textContent('#input-problems li')).toContain('not JSON');
    expect(await page.isDisabled('#start')).toBe(true);
    await page.fill('#input', JSON.stringify({ orderId: uniqueId('ord'), customerId: 'cus-ada', items: [{ sku: 'SKU-MOUSE', quantity: 0 }] }));
    await page.waitForSelector('#input[data-validation="invalid"] ~ #input-problems li:text("items.0.quantity: quantity must be at least 1")', WAIT);
    await page.click('#start', { force: true });

    expect(await page.isDisabled('#start')).toBe(true);
    expect(await page.$$eval('#executions tbody tr', (rows) => rows.length)).toBe(before);
    await page.screenshot({ path: join(ARTIFACTS, 'validation.png') });
  });

  it('renders a JSON cause as a table and links a stopped saga to its recovery execution', async () => {
    const orderId = await loadExample('happy-path');
    await page.selectOption('#faults select[data-step="ConfirmOrder"]', 'Timeout');
    await page.waitForSelector('#input[data-validation="ok"]', WAIT);
    await page.click('#start');
    await page.waitForSelector('#execution-status[data-status="RUNNING"]', WAIT);
    await page.waitForSelector('#graph [data-state="ConfirmOrder"][data-mark="running"]', WAIT);
    const executionArn = `arn:aws:states:us-east-1:000000000000:execution:${runtime.stateMachine().name}:${orderId}`;

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'OperatorStopped', cause: JSON.stringify({ reason: 'stuck order', ticket: 'OPS-7' }) }));
    await page.waitForSelector('#execution-status[data-status="ABORTED"]', WAIT);

    expect(await page.textContent('[data-testid="failure"] tr[data-key="ticket"] td:last-child')).toBe('OPS-7');
    await page.locator('#execution-links a.execution-link').click(WAIT);
    await page.waitForSelector('#execution-status[data-status="SUCCEEDED"]', WAIT);
    await page.waitForSelector(`#execution-links a.execution-link[data-arn="${executionArn}"]`, WAIT);
    expect(await page.textContent('#execution-links')).toBe(`recovers ${runtime.stateMachine().name}:${orderId}`);
    expect((await marks()).SagaRecovered).toBe('succeeded');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    await page.screenshot({ path: join(ARTIFACTS, 'recovery.png') });
  });

  it('shows a compensation that failed for good on the queue, and repairs it', async () => {
    const orderId = await loadExample('happy-path');
    const input = JSON.parse(await page.inputValue('#input')) as Record<string, unknown>;
    await page.fill('#input', JSON.stringify({ ...input, faults: { ConfirmOrder: 'Error', RefundPayment: { error: 'Error', times: 9 } } }));
    await page.waitForSelector('#input[data-validation="ok"]', WAIT);

    await startAndWait('FAILED');
    expect(await page.textContent('[data-testid="failure"] h3')).toBe('Error: SagaCompensationFailed');
    await page.waitForSelector(`#queue td:text("${orderId}")`, WAIT);
    await page.screenshot({ path: join(ARTIFACTS, 'compensation-failure-queue.png'), fullPage: true });
    await page.click('#repair');

    await page.waitForSelector('[data-testid="repair-report"]:text("Repaired 1, still failing 0.")', WAIT);
    await page.waitForSelector('[data-testid="queue-empty"]', WAIT);
  });

  it('filters the executions by status', async () => {
    await page.selectOption('#status-filter', 'SUCCEEDED');

    await page.waitForSelector('#executions tbody tr[data-status="SUCCEEDED"]', WAIT);
    await page.waitForSelector('#executions tbody tr:not([data-status="SUCCEEDED"])', { ...WAIT, state: 'detached' });
    expect(await page.$$eval('#executions tbody tr', (rows: Attributed[]) => rows.map((r) => r.getAttribute('data-status')))).toEqual(expect.arrayContaining(['SUCCEEDED']));
    await page.selectOption('#status-filter', '');
  });

  it('says so when the stack publishes no integration events', async () => {
    await page.waitForSelector('[data-testid="events-absent"]', WAIT);
  });

  it('raised no error in the page through all of the above', () => {
    expect(pageErrors).toEqual([]);
  });

  it('weighs under 300 KB gzipped, layout library included', async () => {
    const sizes = await Promise.all(['/', '/console/app.js', '/console/app.css'].map((path) => gzippedSize(`${server.endpoint}${path}`)));

    expect(sizes.every((size) => size > 0)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(300 * 1024);
  });
});

describe('saga serve on loopback only', () => {
  it('listens on no address but loopback: its servers, DynamoDB Local', () => {
    const sockets = listeningSockets();

    expect(sockets.map((s) => s.port)).toEqual(expect.arrayContaining([server.port, Number(new URL(runtime.dynamoDbEndpoint).port)]));
    expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
  });
});
