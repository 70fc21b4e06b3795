import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/clients';
import { seedCatalogue, seedCustomers } from '../lambdas/domain/seed';
import { orderStores, type OrderStores } from '../cli/stores';
import type { Workload } from '../cli/workload';
import { dynamoDbEnvironment, localDynamoDbClient } from '../local/dynamodb-local';
import { AslEngine, TaskError, type HistoryEvent, type StateMachineDefinition, type TaskHandler } from '../local/engine';
import type { LocalFunction } from '../local/local-stack';
import type { ExecutionResult, LocalRuntime } from '../local/runtime';
import { measure, type CpuClock, type Measurement } from './measure';
import { relabel } from './workloads';

/** One Lambda invocation a saga made, as its Task scheduled it. */
interface Invocation {
  readonly functionName: string;
  readonly payload: unknown;
}

/** A Task attempt's outcome, as the execution's history recorded it. */
type TaskOutcome = { readonly ok: true; readonly output: unknown } | { readonly ok: false; readonly error: string; readonly cause: string };

/** What one saga did on the local runtime: its invocations in order, and its Task outcomes by state. */
export interface SagaTrace {
  readonly name: string;
  readonly input: unknown;
  readonly invocations: readonly Invocation[];
  readonly outcomes: ReadonlyMap<string, readonly TaskOutcome[]>;
  readonly transitions: number;
  /** Messages sent to SQS (compensation failures recorded). */
  readonly queueMessages: number;
  readonly status: string;
}

/** One DynamoDB call a handler made, with the class that made it (a lib-dynamodb command). */
interface StoreCall {
  readonly command: new (input: never) => unknown;
  readonly input: unknown;
}

/** The store calls one saga's handlers made, and what they cost. */
interface StoreTrace {
  readonly calls: readonly StoreCall[];
  readonly readUnits: number;
  readonly writeUnits: number;
  /** The part of `writeUnits` written in transactions (AWS bills those twice; DynamoDB Local counts them once). */
  readonly transactionalWriteUnits: number;
  /** Milliseconds the handlers ran, summed over the saga's invocations. */
  readonly handlerMs: number;
}

/** What a saga uses on average, for the cost model. */
export interface UsagePerSaga {
  readonly transitions: number;
  /** SQS messages sent (compensation failures recorded). */
  readonly queueMessages: number;
  readonly invocations: number;
  /** Milliseconds a handler ran per invocation, in process (its DynamoDB calls included). */
  readonly msPerInvocation: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** The part of `writeUnits` written in transactions, as DynamoDB Local counts them (once; AWS bills them twice). */
  readonly transactionalWriteUnits: number;
  readonly storeCalls: number;
}

/** The commands that read (their capacity is read units); every other command writes. */
const READS = /^(Get|BatchGet|TransactGet|Query|Scan)Command$/;

const parseJson = (text: unknown): unknown => (typeof text === 'string' ? JSON.parse(text) : text);

/** The state whose Task an event belongs to: the nearest `…StateEntered` up its chain of previous events. */
function stateOf(event: HistoryEvent, byId: ReadonlyMap<number, HistoryEvent>): string {
  for (let e: HistoryEvent | undefined = event; e; e = byId.get(e.previousEventId)) {
    if (e.type.endsWith('StateEntered')) return String((e.stateEnteredEventDetails as { name?: unknown }).name);
  }
  throw new Error(`event ${event.id} (${event.type}) follows no state`);
}

/** Reads a saga's invocations and Task outcomes from its history. */
export function traceOf(result: ExecutionResult): SagaTrace {
  const byId = new Map(result.history.map((e) => [e.id, e]));
  const invocations: Invocation[] = [];
  const outcomes = new Map<string, TaskOutcome[]>();
  let queueMessages = 0;
  const add = (event: HistoryEvent, outcome: TaskOutcome) => {
    const state = stateOf(event, byId);
    outcomes.set(state, [...(outcomes.get(state) ?? []), outcome]);
  };
  for (const event of result.history) {
    if (event.type === 'TaskScheduled') {
      const details = event.taskScheduledEventDetails as { parameters?: unknown; resourceType?: unknown };
      if (details.resourceType === 'sqs') queueMessages += 1;
      const parameters = parseJson(details.parameters) as { FunctionName?: unknown; Payload?: unknown };
      if (typeof parameters.FunctionName === 'string') invocations.push({ functionName: parameters.FunctionName, payload: parameters.Payload ?? {} });
    } else if (event.type === 'TaskSucceeded') {
      add(event, { ok: true, output: parseJson((event.taskSucceededEventDetails as { output?: unknown }).output) });
    } else if (event.type === 'TaskFailed' || event.type === 'TaskTimedOut') {
      const details = (event.taskFailedEventDetails ?? event.taskTimedOutEventDetails) as { error?: string; cause?: string };
      add(event, { ok: false, error: details.error ?? 'States.TaskFailed', cause: details.cause ?? '' });
    }
  }
  return { name: result.name, input: result.input, invocations, outcomes, transitions: result.transitions, queueMessages, status: result.status };
}

async function seed(stores: OrderStores, workload: Pick<Workload, 'catalogue' | 'customers'>): Promise<void> {
  await seedCatalogue(workload.catalogue, stores.inventory);
  await seedCustomers(workload.customers, stores.payments);
}

/** Runs the workload's sagas on the local runtime, `concurrency` at a time; returns the measurement and each saga's trace. */
export async function runSagas(runtime: LocalRuntime, workload: Workload, concurrency: number, cpu?: CpuClock): Promise<{ measurement: Measurement; traces: SagaTrace[] }> {
  await seed(orderStores(runtime), workload);
  const results: ExecutionResult[] = [];
  const measurement = await measure(
    workload.orders,
    concurrency,
    async (order) => {
      results.push(await runtime.startExecution({ name: order.name, input: order.input }).result);
    },
    cpu,
  );
  return { measurement, traces: results.map(traceOf) };
}

/** A function's name from its name or ARN (possibly with a `:qualifier`), as Lambda reads `FunctionName`. */
const functionName = (nameOrArn: string) => (nameOrArn.startsWith('arn:') ? nameOrArn.split(':')[6] : nameOrArn.split(':')[0]);

type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

/**
 * The saga's handlers loaded in this process from their sources, each with its function's environment, so that
 * the store calls they make can be recorded. Logging is off: the recording pass is not timed.
 */
function loadHandlers(functions: readonly LocalFunction[], dynamoDbEndpoint: string, region: string): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  // The SDK reads its endpoint, region and credentials from the environment when a call is made: they stay set.
  Object.assign(process.env, dynamoDbEnvironment(dynamoDbEndpoint, region), { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  const saved = { ...process.env };
  try {
    for (const fn of functions) {
      const source = fn.environment.POWERTOOLS_SERVICE_NAME;
      if (!source) continue;
      // Each handler file reads its TABLE_NAME once, at module scope, as it does on Lambda.
      Object.assign(process.env, fn.environment);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(__dirname, '..', 'lambdas', `${source}.ts`)) as Record<string, unknown>;
      handlers.set(fn.name, mod[fn.handlerExport] as Handler);
    }
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  return handlers;
}

/**
 * Records the store calls each saga's handlers make: the handlers run in this process, invoked with the payloads
 * the sagas' Tasks sent (in the order their histories show), on relabelled keys, with every call asked for its
 * consumed capacity. Not timed.
 */
async function recordStoreCalls(
  runtime: LocalRuntime,
  workload: Workload,
  traces: readonly SagaTrace[],
  seedNumber: number,
  concurrency: number,
): Promise<StoreTrace[]> {
  const handlers = loadHandlers(runtime.stack.functions, runtime.dynamoDbEndpoint, runtime.stack.region);
  await seed(orderStores(runtime), relabel(workload, seedNumber, '', 'r'));
  const recording = new AsyncLocalStorage<{ calls: StoreCall[]; readUnits: number; writeUnits: number; transactionalWriteUnits: number }>();
  const prototype = DynamoDBDocumentClient.prototype as unknown as { send: (this: unknown, command: { input: Record<string, unknown> }) => Promise<unknown> };
  const send = prototype.send;
  prototype.send = async function (this: unknown, command: { input: Record<string, unknown> }) {
    const trace = recording.getStore();
    if (!trace) return send.call(this, command);
    trace.calls.push({ command: command.constructor as StoreCall['command'], input: structuredClone(command.input) });
    command.input.ReturnConsumedCapacity = 'TOTAL';
    const out = (await send.call(this, command)) as { ConsumedCapacity?: unknown };
    // DynamoDB Local reports the total only (CapacityUnits): a read's are read units, a write's write units.
    const units = ([out.ConsumedCapacity ?? []].flat() as { CapacityUnits?: number }[]).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
    if (READS.test(command.constructor.name)) trace.readUnits += units;
    else trace.writeUnits += units;
    if (command.constructor.name === 'TransactWriteCommand') trace.transactionalWriteUnits += units;
    return out;
  };
  const stores: StoreTrace[] = [];
  try {
    await measure(
      traces.map((trace, i) => ({ trace, i })),
      concurrency,
      async ({ trace, i }) => {
        const record = { calls: [] as StoreCall[], readUnits: 0, writeUnits: 0, transactionalWriteUnits: 0 };
        let handlerMs = 0;
        await recording.run(record, async () => {
          for (const invocation of relabel(trace.invocations, seedNumber, '', 'r')) {
            const handler = handlers.get(functionName(invocation.functionName));
            if (!handler) continue;
            const t0 = performance.now();
            // Business rejections and injected faults are part of the saga: what they called counts.
            await handler(invocation.payload, { getRemainingTimeInMillis: () => 10_000 }).catch(() => undefined);
            handlerMs += performance.now() - t0;
          }
        });
        stores[i] = { ...record, handlerMs };
      },
    );
  } finally {
    prototype.send = send;
  }
  return stores;
}

/**
 * The store floor: the DynamoDB calls the sagas' handlers make, recorded, then replayed directly with the handlers'
 * client (the same document client over the SDK's default DynamoDB client settings) at the same concurrency, each
 * saga's calls one after another, on fresh keys. Failed conditions are part of the floor, as in the saga.
 */
export async function storeFloor(
  runtime: LocalRuntime,
  workload: Workload,
  traces: readonly SagaTrace[],
  seedNumber: number,
  concurrency: number,
  cpu?: CpuClock,
): Promise<{ measurement: Measurement; usage: Omit<UsagePerSaga, 'transitions' | 'queueMessages'> }> {
  const recorded = await recordStoreCalls(runtime, workload, traces, seedNumber, concurrency);
  await seed(orderStores(runtime), relabel(workload, seedNumber, '', 's'));
  const replays = recorded.map((trace) => relabel(trace.calls.map((c) => c.input), seedNumber, 'r', 's').map((input, i) => ({ command: trace.calls[i].command, input })));
  const doc = createDocumentClient(localDynamoDbClient(runtime.dynamoDbEndpoint, runtime.stack.region));
  try {
    const measurement = await measure(
      replays,
      concurrency,
      async (calls) => {
        for (const { command: Command, input } of calls) {
          await doc.send(new Command(input as never) as never).catch(() => undefined);
        }
      },
      cpu,
    );
    const invocations = traces.reduce((n, t) => n + t.invocations.length, 0);
    const per = (x: number) => Math.round((x / Math.max(1, traces.length)) * 100) / 100;
    return {
      measurement,
      usage: {
        invocations: per(invocations),
        msPerInvocation: Math.round((recorded.reduce((n, t) => n + t.handlerMs, 0) / Math.max(1, invocations)) * 10) / 10,
        readUnits: per(recorded.reduce((n, t) => n + t.readUnits, 0)),
        writeUnits: per(recorded.reduce((n, t) => n + t.writeUnits, 0)),
        transactionalWriteUnits: per(recorded.reduce((n, t) => n + t.transactionalWriteUnits, 0)),
        storeCalls: per(recorded.reduce((n, t) => n + t.calls.length, 0)),
      },
    };
  } finally {
    doc.destroy();
  }
}

/**
 * The engine floor: the same state machine on the same engine, each Task answering at once with the outcome it had
 * in the saga's run (so every saga takes the same path), at the same concurrency.
 */
export async function engineFloor(runtime: LocalRuntime, traces: readonly SagaTrace[], concurrency: number, retryDelayMs: number, cpu?: CpuClock): Promise<Measurement> {
  const spec = runtime.stateMachine();
  const engine = new AslEngine(spec.definition as unknown as StateMachineDefinition, {
    stateMachineName: spec.name,
    region: runtime.stack.region,
    accountId: runtime.stack.accountId,
    retryDelay: () => retryDelayMs,
  });
  return measure(traces, concurrency, async (trace) => {
    const attempts = new Map<string, number>();
    const answer: TaskHandler = (_input, context) => {
      const attempt = attempts.get(context.stateName) ?? 0;
      attempts.set(context.stateName, attempt + 1);
      const outcome = trace.outcomes.get(context.stateName)?.[attempt];
      if (!outcome) return Promise.reject(new TaskError('Bench.NoRecordedOutcome', `${trace.name}: ${context.stateName} attempt ${attempt}`));
      return outcome.ok ? Promise.resolve(outcome.output) : Promise.reject(new TaskError(outcome.error, outcome.cause));
    };
    const result = await engine.startExecution(trace.input, { name: `${trace.name}-engine`, tasks: () => answer }).result;
    if (result.status !== trace.status) throw new Error(`${trace.name}: ${result.status} on the engine alone, ${trace.status} on the runtime`);
  }, cpu);
}
