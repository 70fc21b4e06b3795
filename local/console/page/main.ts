import { ConsolePaths, type ConsoleOverview, type ConsoleTable } from '../console-types';
import { history, json, sfn, type ExecutionDescription, type ExecutionListItem, type HistoryEvent } from './api';
import { byId, duration, h, pretty, seconds } from './dom';
import { executionPath } from '../execution-path';
import { place, stateGraph, type AslMachine, type Lane, type Placed, type StateGraph } from '../state-graph';
import { drawGraph } from './graph';

/** The console page: executions, an execution's path and history, the start form, the tables, the queue, the events. */

let overview: ConsoleOverview;
let filter = '';
let selected: string | undefined;
const machines = new Map<string, { graph: StateGraph; placed: Placed; lanes: Map<string, Lane> }>();
const described = new Map<string, ExecutionDescription>();

async function machine(arn: string) {
  let found = machines.get(arn);
  if (!found) {
    const { definition } = await sfn<{ definition: string }>('DescribeStateMachine', { stateMachineArn: arn });
    const graph = stateGraph(JSON.parse(definition) as AslMachine);
    found = { graph, placed: place(graph), lanes: new Map(graph.nodes.map((n) => [n.id, n.lane])) };
    machines.set(arn, found);
  }
  return found;
}

const machineName = (arn: string) => overview.stateMachines.find((m) => m.arn === arn)?.name ?? arn.split(':').pop()!;
const selectExecution = (arn: string) => (location.hash = `#/execution/${encodeURIComponent(arn)}`);

// ——— executions ———

async function listExecutions(): Promise<ExecutionListItem[]> {
  const all: ExecutionListItem[] = [];
  for (const m of overview.stateMachines) {
    const page = await sfn<{ executions: ExecutionListItem[] }>('ListExecutions', { stateMachineArn: m.arn, maxResults: 200, ...(filter ? { statusFilter: filter } : {}) });
    all.push(...page.executions);
  }
  return all.sort((a, b) => b.startDate - a.startDate);
}

function renderExecutions(executions: readonly ExecutionListItem[]): void {
  const body = byId('executions').querySelector('tbody')!;
  const now = Date.now();
  body.replaceChildren(
    ...executions.map((e) => {
      const row = h(
        'tr',
        { 'data-arn': e.executionArn, 'data-status': e.status, class: e.executionArn === selected ? 'selected' : undefined },
        h('td', {}, e.name),
        h('td', { class: `status status-${e.status}` }, e.status),
        h('td', {}, seconds(e.startDate).toLocaleTimeString()),
        h('td', {}, duration((e.stopDate ? e.stopDate * 1000 : now) - e.startDate * 1000)),
        h('td', { class: 'muted' }, machineName(e.stateMachineArn)),
      );
      row.addEventListener('click', () => selectExecution(e.executionArn));
      return row;
    }),
  );
  byId('executions-empty').hidden = executions.length > 0;
}

// ——— one execution ———

/** The failure's cause as a table when it is a JSON object (the saga's structured failure), else as text. */
function causeView(cause: string): Node {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return h('pre', { 'data-testid': 'cause-text' }, cause);
  }
  return valueView(parsed);
}

function valueView(value: unknown): Node {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
    const columns = [...new Set(value.flatMap((v) => Object.keys(v as object)))];
    return h(
      'table',
      { class: 'cause-table' },
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)))),
      h('tbody', {}, ...value.map((v) => h('tr', {}, ...columns.map((c) => h('td', {}, cell((v as Record<string, unknown>)[c])))))),
    );
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return h('table', { class: 'cause-table' }, h('tbody', {}, ...Object.entries(value).map(([k, v]) => h('tr', { 'data-key': k }, h('td', {}, k), h('td', {}, typeof v === 'object' && v !== null ? valueView(v) : cell(v))))));
  }
  return h('pre', {}, JSON.stringify(value, null, 2));
}

const cell = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The recovery link: an execution whose input is a status-change event of `arn` recovers it. */
async function recoveryLinks(execution: ExecutionDescription): Promise<Node[]> {
  const links: Node[] = [];
  const recovered = recoveredArn(execution);
  if (recovered) links.push(h('span', {}, 'recovers ', link(recovered)));
  for (const m of overview.stateMachines) {
    if (m.arn === execution.stateMachineArn) continue;
    const { executions } = await sfn<{ executions: ExecutionListItem[] }>('ListExecutions', { stateMachineArn: m.arn, maxResults: 200 });
    for (const e of executions) {
      let d = described.get(e.executionArn);
      if (!d) {
        d = await sfn<ExecutionDescription>('DescribeExecution', { executionArn: e.executionArn });
        if (d.status !== 'RUNNING') described.set(e.executionArn, d);
      }
      if (recoveredArn(d) === execution.executionArn) links.push(h('span', {}, 'recovered by ', link(e.executionArn)));
    }
  }
  return links;
}

function recoveredArn(execution: ExecutionDescription): string | undefined {
  try {
    const input = JSON.parse(execution.input ?? '{}') as { detail?: { executionArn?: unknown } };
    return typeof input.detail?.executionArn === 'string' ? input.detail.executionArn : undefined;
  } catch {
    return undefined;
  }
}

function link(arn: string): HTMLAnchorElement {
  return h('a', { href: `#/execution/${encodeURIComponent(arn)}`, class: 'execution-link', 'data-arn': arn }, arn.split(':').slice(-2).join(':'));
}

const detailsOf = (event: HistoryEvent): [string, Record<string, unknown>] | undefined => {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  return key ? [key, event[key] as Record<string, unknown>] : undefined;
};

function historyRow(event: HistoryEvent, state: string | undefined, start: number): HTMLTableRowElement {
  const details = detailsOf(event)?.[1] ?? {};
  const parts: Node[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (key === 'name' || key.endsWith('Details')) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (['input', 'output', 'parameters', 'cause'].includes(key)) parts.push(h('details', { 'data-field': key }, h('summary', {}, key), h('pre', {}, pretty(text))));
    else parts.push(h('div', {}, h('b', {}, `${key}: `), text));
  }
  const failed = /(Failed|TimedOut|Aborted)$/.test(event.type);
  return h(
    'tr',
    { 'data-type': event.type, 'data-state': state, class: failed ? 'status-FAILED' : undefined },
    h('td', {}, event.id),
    h('td', {}, event.type),
    h('td', {}, state ?? ''),
    h('td', {}, `+${duration(event.timestamp * 1000 - start)}`),
    h('td', {}, ...parts),
  );
}

let renderToken = 0;
async function renderSelected(): Promise<void> {
  const token = ++renderToken;
  const graphBox = byId('graph');
  if (!selected) {
    const m = await machine(overview.defaultStateMachine);
    if (token !== renderToken) return;
    byId('execution-title').textContent = `State machine ${machineName(overview.defaultStateMachine)}`;
    byId('execution-status').textContent = '';
    byId('execution-links').replaceChildren();
    graphBox.replaceChildren(drawGraph(m.graph, m.placed));
    byId('failure').replaceChildren();
    byId('io').replaceChildren();
    byId('history').hidden = byId('history-title').hidden = true;
    return;
  }
  const execution = await sfn<ExecutionDescription>('DescribeExecution', { executionArn: selected });
  const [m, events] = await Promise.all([machine(execution.stateMachineArn), history(execution.executionArn)]);
  if (token !== renderToken) return;
  const running = execution.status === 'RUNNING';
  const path = executionPath(events, m.lanes, running);
  byId('execution-title').textContent = `Execution ${execution.name}`;
  const status = byId('execution-status');
  status.textContent = execution.status;
  status.className = `status status-${execution.status}`;
  status.dataset.status = execution.status;
  graphBox.replaceChildren(drawGraph(m.graph, m.placed, path));
  const failure = byId('failure');
  failure.replaceChildren(
    ...(execution.error !== undefined || execution.cause !== undefined
      ? [h('div', { class: 'failure', 'data-testid': 'failure' }, h('h3', {}, `Error: ${execution.error ?? ''}`), causeView(execution.cause ?? ''))]
      : []),
  );
  byId('io').replaceChildren(
    h('details', { 'data-field': 'execution-input' }, h('summary', {}, 'Execution input'), h('pre', {}, pretty(execution.input))),
    ...(execution.output !== undefined ? [h('details', { 'data-field': 'execution-output' }, h('summary', {}, 'Execution output'), h('pre', {}, pretty(execution.output)))] : []),
  );
  const start = execution.startDate * 1000;
  byId('history').querySelector('tbody')!.replaceChildren(...events.map((e) => historyRow(e, path.stateOf.get(e.id), start)));
  byId('history').hidden = byId('history-title').hidden = false;
  if (running) {
    byId('execution-links').replaceChildren();
    setTimeout(() => void renderSelected().catch(showError), 300);
    return;
  }
  // A recovery starts once the saga has ended: look for it while the execution stays on screen.
  const refreshLinks = async () => {
    const links = await recoveryLinks(execution);
    if (token !== renderToken) return;
    byId('execution-links').replaceChildren(...links);
    setTimeout(() => void refreshLinks().catch(showError), 1500);
  };
  await refreshLinks();
}

// ——— start form ———

function setupStartForm(): void {
  const input = byId<HTMLTextAreaElement>('input');
  const example = byId<HTMLSelectElement>('example');
  const names = Object.keys(overview.examples);
  example.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
  const load = () => {
    input.value = JSON.stringify(overview.examples[example.value] ?? {}, null, 2);
    syncFaults();
    void validate();
  };
  example.addEventListener('change', load);
  const faults = byId('faults');
  if (overview.faults) {
    const { field, steps, errors } = overview.faults;
    faults.append(
      h('span', { class: 'muted faults-title' }, `Faults (${field}): pick an error per step`),
      ...steps.map((step) => {
        const select = h('select', { 'data-step': step }, h('option', { value: '' }, '—'), ...errors.map((e) => h('option', { value: e }, e)));
        select.addEventListener('change', () => {
          const parsed = parseInput();
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return;
          const record = parsed as Record<string, unknown>;
          const current = { ...((record[field] as Record<string, unknown> | undefined) ?? {}) };
          if (select.value) current[step] = select.value;
          else delete current[step];
          if (Object.keys(current).length > 0) record[field] = current;
          else delete record[field];
          input.value = JSON.stringify(record, null, 2);
          void validate();
        });
        return h('label', {}, step, select);
      }),
    );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    input.dataset.validation = 'pending';
    clearTimeout(timer);
    timer = setTimeout(() => {
      syncFaults();
      void validate();
    }, 150);
  });
  byId('start-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void start('sfn');
  });
  const placeOrder = byId<HTMLButtonElement>('place-order');
  placeOrder.hidden = !overview.ordersApi;
  placeOrder.addEventListener('click', () => void start('orders'));
  load();
}

function parseInput(): unknown {
  try {
    return JSON.parse(byId<HTMLTextAreaElement>('input').value);
  } catch {
    return undefined;
  }
}

/** Sets each fault picker to what the input says. */
function syncFaults(): void {
  if (!overview.faults) return;
  const parsed = parseInput() as Record<string, Record<string, unknown> | undefined> | undefined;
  const faults = parsed && typeof parsed === 'object' ? parsed[overview.faults.field] : undefined;
  for (const select of byId('faults').querySelectorAll<HTMLSelectElement>('select[data-step]')) {
    const value = faults?.[select.dataset.step!];
    const error = typeof value === 'object' && value ? (value as { error?: unknown }).error : value;
    select.value = typeof error === 'string' ? error : '';
  }
}

/** Checks the input (JSON, then the server's validation); shows the problems; answers whether it may be sent. */
let validation = 0;
async function validate(): Promise<boolean> {
  const token = ++validation;
  const input = byId<HTMLTextAreaElement>('input');
  input.dataset.validation = 'pending';
  const problems: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.value);
  } catch (err: unknown) {
    problems.push(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (problems.length === 0) problems.push(...(await json<{ problems: string[] }>(ConsolePaths.validate, parsed ?? null)).problems);
  if (token !== validation) return false;
  input.classList.toggle('invalid', problems.length > 0);
  input.dataset.validation = problems.length > 0 ? 'invalid' : 'ok';
  byId('input-problems').replaceChildren(...problems.map((p) => h('li', {}, p)));
  byId<HTMLButtonElement>('start').disabled = problems.length > 0;
  byId<HTMLButtonElement>('place-order').disabled = problems.length > 0;
  return problems.length === 0;
}

async function start(via: 'sfn' | 'orders'): Promise<void> {
  const result = byId('start-result');
  if (!(await validate())) return;
  const text = byId<HTMLTextAreaElement>('input').value;
  try {
    if (via === 'orders' && overview.ordersApi) {
      const response = await fetch(new URL(overview.ordersApi.placeOrderPath, overview.ordersApi.endpoint), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
      result.textContent = `Orders API answered ${response.status} ${await response.text()}`;
      return;
    }
    const name = byId<HTMLInputElement>('execution-name').value.trim();
    const started = await sfn<{ executionArn: string }>('StartExecution', { stateMachineArn: overview.defaultStateMachine, input: text, ...(name ? { name } : {}) });
    result.textContent = `started ${started.executionArn.split(':').pop()!}`;
    selectExecution(started.executionArn);
    void refreshExecutions();
  } catch (err: unknown) {
    result.textContent = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

// ——— stores, queue, events ———

const previousCells = new Map<string, string>();
function renderTables(tables: readonly ConsoleTable[]): void {
  byId('tables').replaceChildren(
    ...tables.map((table) => {
      const columns = [...new Set([...table.keys, ...table.items.flatMap((i) => Object.keys(i))])];
      const keyOf = (item: Record<string, unknown>) => table.keys.map((k) => cell(item[k])).join('|');
      return h(
        'div',
        { class: 'table-block', 'data-table': table.name },
        h('h3', {}, `${table.name} `, h('span', { class: 'muted' }, `${table.count} item${table.count === 1 ? '' : 's'}${table.items.length < table.count ? `, first ${table.items.length} shown` : ''}`)),
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)))),
          h(
            'tbody',
            {},
            ...table.items.map((item) =>
              h(
                'tr',
                { 'data-key': keyOf(item) },
                ...columns.map((c) => {
                  const id = `${table.name}|${keyOf(item)}|${c}`;
                  const value = cell(item[c]);
                  const before = previousCells.get(id);
                  previousCells.set(id, value);
                  return h('td', { 'data-column': c, class: seenTables.has(table.name) && before !== value ? 'changed' : undefined }, value);
                }),
              ),
            ),
          ),
        ),
      );
    }),
  );
  for (const t of tables) seenTables.add(t.name);
}
const seenTables = new Set<string>();

async function refreshQueue(): Promise<void> {
  const box = byId('queue');
  if (!overview.repair) {
    box.replaceChildren(h('p', { class: 'muted' }, 'No compensation-failures queue on this server.'));
    return;
  }
  const report = await json<{ listed: readonly Record<string, unknown>[]; unreadable: readonly Record<string, unknown>[] }>(overview.repair.list);
  byId('repair').hidden = report.listed.length === 0;
  box.replaceChildren(
    report.listed.length === 0 && report.unreadable.length === 0
      ? h('p', { class: 'muted', 'data-testid': 'queue-empty' }, 'The queue is empty: every compensation succeeded.')
      : valueView([...report.listed, ...report.unreadable]),
  );
}

async function repair(): Promise<void> {
  const button = byId<HTMLButtonElement>('repair');
  button.disabled = true;
  try {
    const report = await json<{ repaired: readonly unknown[]; stillFailing: readonly unknown[] }>(overview.repair!.repair, {});
    byId('queue').replaceChildren(h('p', { 'data-testid': 'repair-report' }, `Repaired ${report.repaired.length}, still failing ${report.stillFailing.length}.`));
    setTimeout(() => void refreshQueue().catch(showError), 1500);
  } finally {
    button.disabled = false;
  }
}

async function refreshEvents(): Promise<void> {
  const { available, events } = await json<{ available: boolean; events: readonly unknown[] }>(ConsolePaths.events);
  byId('events').replaceChildren(
    !available
      ? h('p', { class: 'muted', 'data-testid': 'events-absent' }, 'This stack publishes no integration events.')
      : events.length === 0
        ? h('p', { class: 'muted' }, 'No integration events published yet.')
        : valueView(events),
  );
}

// ——— wiring ———

function showError(err: unknown): void {
  byId('connection').textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
}

async function refreshExecutions(): Promise<void> {
  renderExecutions(await listExecutions());
}

/** Polls the API: every second the executions, every two the stores. */
function poll(task: () => Promise<void>, everyMs: number): void {
  const run = () =>
    void task()
      .then(() => (byId('connection').textContent = 'live'))
      .catch(showError)
      .finally(() => setTimeout(run, everyMs));
  run();
}

function route(): void {
  const match = /^#\/execution\/(.+)$/.exec(location.hash);
  selected = match ? decodeURIComponent(match[1]) : undefined;
  for (const row of byId('executions').querySelectorAll<HTMLTableRowElement>('tbody tr')) row.classList.toggle('selected', row.dataset.arn === selected);
  void renderSelected().catch(showError);
  void refreshExecutions().catch(showError);
}

async function main(): Promise<void> {
  overview = await json<ConsoleOverview>(ConsolePaths.overview);
  byId('machine-name').textContent = machineName(overview.defaultStateMachine);
  byId<HTMLSelectElement>('status-filter').addEventListener('change', (event) => {
    filter = (event.target as HTMLSelectElement).value;
    void refreshExecutions().catch(showError);
  });
  byId('repair').addEventListener('click', () => void repair().catch(showError));
  setupStartForm();
  window.addEventListener('hashchange', route);
  route();
  poll(refreshExecutions, 1000);
  poll(async () => renderTables((await json<{ tables: ConsoleTable[] }>(ConsolePaths.tables)).tables), 2000);
  poll(refreshQueue, 2000);
  poll(refreshEvents, 3000);
}

void main().catch(showError);
