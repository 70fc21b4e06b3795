import './polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import { assertSupported } from './asl-support';
import { loadSynthesizedStack, type CfnResource, type LoadStackOptions } from './cloud-assembly';
import { createTables, dynamoDbEnvironment, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { buildHistory, type HistoryEvent, type InterpreterEvent, type TaskCall } from './history';
import { LambdaInvocationFailure, LambdaPool } from './lambda-pool';
import { LateDeliveries, type LateDeliveryOptions, type LateDeliveryReport } from './late-delivery';
import { LocalEventBus, type TargetFailure } from './event-bus';
import { localNamesFromStack, resolveEventRules } from './event-rules';
import { executionStatusChangeEvent, type ExecutionEventStatus } from './execution-status-event';
import { LocalQueues } from './local-queues';
import { resolveLocalStack, type LocalStack, type LocalStateMachine } from './local-stack';
import { responseFor, testCaseMocks, type MockConfig } from './mock-config';

/** Options of a {@link LocalRuntime}. */
export interface LocalRuntimeOptions extends LoadStackOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * Wait this many milliseconds before every retry, instead of the definition's backoff and jitter (tests).
   * @default - as the definition says
   */
  readonly retryDelayMs?: number;
  /**
   * Multiplies Lambda function timeouts and Task `TimeoutSeconds` (tests and demos run faster with less than 1).
   * @default 1
   */
  readonly timeoutScale?: number;
  /** Most warm workers per function. @default 8 */
  readonly maxWorkersPerFunction?: number;
  /** Receives every line the functions print. @default - discarded */
  readonly onFunctionLog?: (functionName: string, line: string) => void;
  /** Use this DynamoDB endpoint instead of starting a DynamoDB Local. @default - start one on a free port */
  readonly dynamoDbEndpoint?: string;
  /** Deliver every Lambda invocation twice, concurrently (at-least-once delivery). @default false */
  readonly deliverTwice?: boolean;
  /**
   * Deliver a copy of Lambda invocations of the state machines' Tasks late: after a delay, or once their execution
   * ended. The copy's outcome is discarded, as a late delivery's is; `lateDeliveries()` counts them.
   * @default - no late copies
   */
  readonly deliverLate?: LateDeliveryOptions;
  /**
   * Replaces the execution timeout (`TimeoutSeconds` at the top of its definition) of the stack's default state
   * machine (see `stateMachine()`), to test what happens when an execution times out.
   * @default - as the definition says, times `timeoutScale`
   */
  readonly executionTimeoutSeconds?: number;
  /** Told of every EventBridge target that failed for good. @default - nothing */
  readonly onEventTargetError?: (failure: TargetFailure) => void;
  /**
   * Step Functions Local's mock configuration: an execution started on `<state machine ARN>#<TestCase>` gets the
   * test case's mocked responses for its mocked states; other states run for real. @default - none
   */
  readonly mockConfig?: MockConfig;
}

/** The end state of an execution. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What an execution did, as `DescribeExecution` and `GetExecutionHistory` would tell. */
export interface ExecutionResult {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: Exclude<ExecutionStatus, 'RUNNING'>;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: Date;
  readonly stopDate: Date;
  /** The states entered, in order. */
  readonly path: readonly string[];
  /** States entered plus retries, as Step Functions counts transitions. */
  readonly transitions: number;
  readonly retries: number;
  readonly history: readonly HistoryEvent[];
}

/** A started execution. */
export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  readonly startDate: Date;
  /** RUNNING until `result` settles. */
  readonly status: ExecutionStatus;
  /** Settles when the execution ends (never rejects). */
  readonly result: Promise<ExecutionResult>;
  /** The history so far (complete once `result` has settled). */
  history(): HistoryEvent[];
  /** Stops a running execution: it ends ABORTED, with the error and cause given, as `StopExecution` does. */
  stop(error?: string, cause?: string): void;
}

/** An error of the Step Functions API (`name` is AWS's error code). */
export class StepFunctionsApiError extends Error {
  constructor(name: 'ExecutionAlreadyExists' | 'InvalidName' | 'InvalidExecutionInput' | 'StateMachineDoesNotExist', message: string) {
    super(message);
    this.name = name;
  }
}

const MAX_INPUT_BYTES = 256 * 1024;
// Step Functions execution names: 1-80 characters, no whitespace, brackets, wildcards, punctuation listed here,
// or control characters.
// eslint-disable-next-line no-control-regex
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

type TaskHandler = (input: unknown) => Promise<unknown>;
interface LocalTask {
  readonly resource: string;
  readonly handler: TaskHandler;
}

/**
 * Runs a synthesized CDK stack on this machine with no AWS account and no Docker: DynamoDB Local for the tables,
 * worker threads running the bundled Lambda code, in-memory SQS queues, and aws-local-stepfunctions for the
 * state machines.
 *
 * @example
 * const runtime = await LocalRuntime.start({ context: { faultInjection: 'true' } });
 * try {
 *   const execution = runtime.startExecution({ name: 'ord-1', input: { orderId: 'ord-1' } });
 *   const result = await execution.result;
 *   console.log(result.status, result.path.join(' → '));
 * } finally {
 *   await runtime.close();
 * }
 */
export class LocalRuntime {
  private readonly executions = new Map<string, LocalExecution>();
  private readonly late: LateDeliveries | undefined;
  /**
   * The default event bus: every execution's "Step Functions Execution Status Change" events go on it, and the
   * stack's rules start their targets (a saga's recovery state machine, for one).
   */
  readonly events: LocalEventBus;
  private readonly machines = new Map<string, { spec: LocalStateMachine; machine: StateMachine; tasks: Record<string, LocalTask> }>();
  private closed = false;

  private constructor(
    /** The stack, resolved to local names. */
    readonly stack: LocalStack,
    /** The local SQS queues; read what the state machine sent. */
    readonly queues: LocalQueues,
    /** Where the tables are. */
    readonly dynamoDbEndpoint: string,
    private readonly pool: LambdaPool,
    private readonly db: DynamoDbLocal | undefined,
    private readonly options: LocalRuntimeOptions,
    resources: Readonly<Record<string, CfnResource>>,
  ) {
    this.late = options.deliverLate ? new LateDeliveries(options.deliverLate) : undefined;
    const served = new Set([...stack.stateMachines, ...stack.functions, ...stack.queues].map((r) => r.arn));
    this.events = new LocalEventBus({
      rules: resolveEventRules(resources, { names: localNamesFromStack(stack, resources), targetExists: (arn) => served.has(arn) }),
      region: stack.region,
      account: stack.accountId,
      retryDelayMs: options.retryDelayMs ?? 100,
      onTargetError: options.onEventTargetError,
      dispatcher: {
        // EventBridge counts a delivery once the execution has started, not when it ends.
        startExecution: (arn, input) => Promise.resolve(this.startExecution({ stateMachine: arn, input }).executionArn),
        invokeFunction: (arn, payload) => {
          // An asynchronous invocation: accepted at once; its outcome is the function's business.
          void this.pool.invoke(arn, payload).catch(() => undefined);
          return Promise.resolve({ StatusCode: 202 });
        },
        sendMessage: (arn, body, delivery) => Promise.resolve(this.queues.send(arn, body, delivery.messageAttributes)),
      },
    });
    const main = stack.stateMachines.length === 1 ? stack.stateMachines[0].arn : stack.outputs.StateMachineArn;
    for (const spec of stack.stateMachines) {
      const tasks: Record<string, LocalTask> = {};
      const definition = scaleTimeouts(spec.definition, options.timeoutScale ?? 1, spec.arn === main ? options.executionTimeoutSeconds : undefined);
      collectTasks(definition, (name, state) => (tasks[name] = { resource: String(state.Resource), handler: this.taskHandler(name, state) }));
      // Validate the definition as written, then run the copy with scaled timeouts.
      new StateMachine(spec.definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
      const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
      this.machines.set(spec.arn, { spec, machine, tasks });
    }
  }

  /** Loads (synthesizing if needed) the stack, starts DynamoDB Local, creates the tables and readies the functions. */
  static async start(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
    const region = options.region ?? 'us-east-1';
    // Synthesis and DynamoDB Local's start take seconds each and need nothing from each other: overlap them.
    const dbStart = options.dynamoDbEndpoint ? undefined : startDynamoDbLocal();
    dbStart?.catch(() => undefined);
    if (dbStart) options.onProgress?.('starting DynamoDB Local…');
    let db: DynamoDbLocal | undefined;
    try {
      const synthesized = await loadSynthesizedStack(options);
      const stack = resolveLocalStack(synthesized, region);
      const served = (resource: string) => taskKind(resource) !== undefined;
      for (const machine of stack.stateMachines) assertSupported(machine.definition, served, machine.name);
      db = await dbStart;
      if (db) options.onProgress?.(`DynamoDB Local is up on ${db.endpoint}`);
      const endpoint = db?.endpoint ?? options.dynamoDbEndpoint!;
      await createTables(endpoint, stack.tables);
      const pool = new LambdaPool(new Map(stack.functions.map((f) => [f.name, f])), {
        baseEnvironment: dynamoDbEnvironment(endpoint, region),
        timeoutScale: options.timeoutScale,
        maxWorkersPerFunction: options.maxWorkersPerFunction,
        onLog: options.onFunctionLog,
        deliverTwice: options.deliverTwice,
      });
      return new LocalRuntime(stack, new LocalQueues(stack.queues), endpoint, pool, db, options, synthesized.template.Resources);
    } catch (err: unknown) {
      await (db ?? (await dbStart?.catch(() => undefined)))?.stop();
      throw err;
    }
  }

  /** Starts one warm worker per function, so the first executions do not wait for cold starts. */
  async warmUp(): Promise<void> {
    await Promise.all(this.stack.functions.map((f) => this.pool.warm(f.name)));
  }

  /**
   * The state machine an ARN or name refers to. When omitted: the only one, or else the one the stack's
   * `StateMachineArn` output names (a saga's own, beside its recovery state machine).
   */
  stateMachine(arnOrName?: string): LocalStateMachine {
    const all = [...this.machines.values()].map((m) => m.spec);
    const main = all.length === 1 ? all[0] : all.find((m) => m.arn === this.stack.outputs.StateMachineArn);
    const found = arnOrName === undefined ? main : all.find((m) => m.arn === arnOrName || m.name === arnOrName);
    if (!found) {
      throw new StepFunctionsApiError(
        'StateMachineDoesNotExist',
        arnOrName === undefined ? `the stack has ${all.length} state machines: name one` : `State Machine Does Not Exist: '${arnOrName}'`,
      );
    }
    return found;
  }

  /**
   * Starts an execution. Names follow Step Functions' rules: the same name with the same input while it runs
   * returns the running execution; otherwise a name already used fails with `ExecutionAlreadyExists`.
   */
  startExecution(request: { stateMachine?: string; name?: string; input?: unknown }): LocalExecution {
    if (this.closed) throw new Error('the local runtime is closed');
    const [machineRef, testCase] = (request.stateMachine ?? '').split('#');
    const spec = this.stateMachine(request.stateMachine === undefined ? undefined : machineRef);
    if (testCase !== undefined && !this.options.mockConfig) {
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${request.stateMachine}' (a #TestCase needs a mock configuration)`);
    }
    const mocks = testCase === undefined ? {} : testCaseMocks(this.options.mockConfig!, spec.name, testCase);
    const name = request.name ?? randomUUID();
    if (!NAME.test(name)) throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? {};
    const inputText = JSON.stringify(input);
    if (Buffer.byteLength(inputText) > MAX_INPUT_BYTES) {
      throw new StepFunctionsApiError('InvalidExecutionInput', `The input is ${Buffer.byteLength(inputText)} bytes; the limit is ${MAX_INPUT_BYTES} bytes`);
    }
    const executionArn = `${spec.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === inputText) return existing;
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.run(spec, executionArn, name, input, mocks);
    this.executions.set(executionArn, execution);
    return execution;
  }

  /** An execution by ARN or name. */
  execution(arnOrName: string): LocalExecution | undefined {
    return this.executions.get(arnOrName) ?? [...this.executions.values()].find((e) => e.name === arnOrName);
  }

  /** Every execution started so far, oldest first. */
  listExecutions(): LocalExecution[] {
    return [...this.executions.values()];
  }

  /** Invokes one function directly, as `lambda:Invoke` would (for seeding and inspection). */
  invokeFunction(nameOrArn: string, payload: unknown): Promise<unknown> {
    return this.pool.invoke(nameOrArn, payload);
  }

  /** Lambda invocations delivered a second time so far (with `deliverTwice`). */
  get duplicatesDelivered(): number {
    return this.pool.duplicates;
  }

  /**
   * Resolves once nothing is in flight: every execution has ended, every event has been delivered to its rules'
   * targets (which may start more executions), and every late copy of an invocation has landed.
   */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length > 0) {
        await Promise.all(running.map((e) => e.result));
        continue;
      }
      await this.events.settled();
      await this.late?.settled();
      if ([...this.executions.values()].every((e) => e.status !== 'RUNNING')) return;
    }
  }

  /** Waits for every late copy scheduled so far (with `deliverLate`), then tells what they did. */
  async lateDeliveries(): Promise<LateDeliveryReport> {
    await this.late?.settled();
    return this.late?.report() ?? { delivered: 0, outcomes: {} };
  }

  /** Stops every running execution and worker, and DynamoDB Local if this runtime started it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.late?.close();
    for (const e of this.executions.values()) if (e.status === 'RUNNING') e.stop();
    await this.pool.close();
    await this.db?.stop();
  }

  private run(spec: LocalStateMachine, executionArn: string, name: string, input: unknown, mocks: ReturnType<typeof testCaseMocks>): LocalExecution {
    const { machine, tasks: realTasks } = this.machines.get(spec.arn)!;
    const calls: TaskCall[] = [];
    // Mocked states answer from the test case, by attempt (zero-based, counted per state in this execution).
    const attempts = new Map<string, number>();
    const tasks: Record<string, LocalTask> = Object.fromEntries(
      Object.entries(realTasks).map(([state, task]) => {
        const byAttempt = mocks[state];
        if (!byAttempt) return [state, task];
        const handler: TaskHandler = () => {
          const attempt = attempts.get(state) ?? 0;
          attempts.set(state, attempt + 1);
          const response = responseFor(byAttempt, attempt);
          if ('Throw' in response) return Promise.reject(namedError(response.Throw.Error, response.Throw.Cause ?? ''));
          return Promise.resolve(response.Return);
        };
        return [state, { resource: task.resource, handler }];
      }),
    );
    // Late copies of Lambda invocations, delivered after a delay or once this execution has ended.
    let endExecution: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (endExecution = resolve));
    const late = this.late;
    if (late) {
      for (const [state, task] of Object.entries(tasks)) {
        if (!taskKind(task.resource)?.startsWith('lambda')) continue;
        let attempt = 0;
        tasks[state] = {
          resource: task.resource,
          handler: (taskInput) => {
            const outcome = task.handler(taskInput);
            if (late.picks(`${executionArn}/${state}/${attempt++}`)) late.schedule(() => task.handler(taskInput), { returned: outcome, ended });
            return outcome;
          },
        };
      }
    }
    const retryIntervalOverrides =
      this.options.retryDelayMs === undefined ? undefined : Object.fromEntries(Object.keys(tasks).map((s) => [s, this.options.retryDelayMs!]));
    const startDate = new Date();
    this.emitStatusChange({ executionArn, stateMachineArn: spec.arn, name, status: 'RUNNING', startDate, input });
    const running = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          Object.entries(tasks).map(([state, task]) => [state, (taskInput: unknown) => recordCall(calls, state, task, taskInput, this.stack.region)]),
        ) as never,
        retryIntervalOverrides,
      },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${this.stack.accountId}:role/local`, RedriveCount: 0 },
        StateMachine: { Id: spec.arn, Name: spec.name },
      },
    });
    let status: ExecutionStatus = 'RUNNING';
    let aborted: { error?: string; cause?: string } | undefined;
    const roleArn = `arn:aws:iam::${this.stack.accountId}:role/local`;
    const events: InterpreterEvent[] = [];
    const collect = async (): Promise<InterpreterEvent[]> => {
      for await (const event of running.eventLogs) events.push(event);
      return events;
    };
    const eventsPromise = collect();
    const result = (async (): Promise<ExecutionResult> => {
      let output: unknown;
      let error: string | undefined;
      let cause: string | undefined;
      let final: Exclude<ExecutionStatus, 'RUNNING'> = 'SUCCEEDED';
      try {
        output = await running.result;
        if (output === null && aborted) {
          final = 'ABORTED';
          ({ error, cause } = aborted);
        }
      } catch (err: unknown) {
        const failure = (err as { cause?: unknown }).cause ?? err;
        if ((err as Error).name === 'ExecutionTimeoutError') {
          final = 'TIMED_OUT';
          error = 'States.Timeout';
        } else {
          final = 'FAILED';
          error = (failure as Error).name;
          cause = failure instanceof LambdaInvocationFailure ? failure.cause : (failure as Error).message;
        }
      }
      const summary = buildHistory(await eventsPromise, calls, roleArn);
      status = final;
      endExecution();
      this.emitStatusChange({ executionArn, stateMachineArn: spec.arn, name, status: final, startDate, stopDate: new Date(), input, output, error, cause });
      return {
        executionArn,
        stateMachineArn: spec.arn,
        name,
        status: final,
        input,
        ...(final === 'SUCCEEDED' ? { output } : { error, cause }),
        startDate,
        stopDate: new Date(),
        path: summary.path,
        transitions: summary.transitions,
        retries: summary.retries,
        history: summary.events,
      };
    })();
    return {
      executionArn,
      stateMachineArn: spec.arn,
      name,
      input,
      startDate,
      get status() {
        return status;
      },
      result,
      history: () => buildHistory(events, calls, roleArn).events,
      stop: (error?: string, cause?: string) => {
        if (status !== 'RUNNING' || aborted) return;
        aborted = { error, cause };
        running.abort();
      },
    };
  }

  /** Puts an execution's "Step Functions Execution Status Change" event on the default bus, as Step Functions does. */
  private emitStatusChange(change: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionEventStatus;
    startDate: Date;
    stopDate?: Date;
    input: unknown;
    output?: unknown;
    error?: string;
    cause?: string;
  }): void {
    if (this.closed) return;
    const { output, ...rest } = change;
    this.events.put(
      executionStatusChangeEvent({ ...rest, ...(change.status === 'SUCCEEDED' ? { output } : {}) }, { region: this.stack.region, account: this.stack.accountId }),
    );
  }

  /** `DescribeExecution`, as the `aws-sdk:sfn:describeExecution` integration answers it. */
  private describeExecution(executionArn: string): Record<string, unknown> {
    const execution = this.executions.get(executionArn);
    if (!execution) throw namedError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${executionArn}'`);
    return {
      ExecutionArn: execution.executionArn,
      StateMachineArn: execution.stateMachineArn,
      Name: execution.name,
      Status: execution.status,
      StartDate: execution.startDate.toISOString(),
      Input: JSON.stringify(execution.input),
      InputDetails: { Included: true },
    };
  }

  private taskHandler(state: string, definition: Record<string, unknown>): TaskHandler {
    const resource = String(definition.Resource);
    const kind = taskKind(resource);
    switch (kind) {
      case 'lambda:invoke':
        return async (input) => {
          const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
          if (!FunctionName) throw namedError('States.Runtime', `state ${state}: lambda:invoke needs a FunctionName`);
          const payload = await this.pool.invoke(FunctionName, Payload ?? {});
          const requestId = randomUUID();
          return {
            ExecutedVersion: '$LATEST',
            Payload: payload,
            SdkHttpMetadata: { HttpStatusCode: 200 },
            SdkResponseMetadata: { RequestId: requestId },
            StatusCode: 200,
          };
        };
      case 'lambda-arn':
        return (input) => this.pool.invoke(resource, input);
      case 'sfn:describeExecution':
        return (input) => {
          const { ExecutionArn } = (input ?? {}) as { ExecutionArn?: unknown };
          if (typeof ExecutionArn !== 'string') throw namedError('Sfn.ValidationException', `state ${state}: describeExecution needs an ExecutionArn`);
          return Promise.resolve(this.describeExecution(ExecutionArn));
        };
      case 'sqs:sendMessage':
        return (input) => {
          const { QueueUrl, MessageBody } = (input ?? {}) as { QueueUrl?: string; MessageBody?: unknown };
          return Promise.resolve(this.queues.send(String(QueueUrl), MessageBody));
        };
      default:
        throw new Error(`state ${state}: ${resource} is not served locally`);
    }
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** What kind of local implementation a Task resource has, if any. */
function taskKind(resource: string): 'lambda:invoke' | 'lambda-arn' | 'sqs:sendMessage' | 'sfn:describeExecution' | undefined {
  if (/^arn:aws[a-z-]*:states:::aws-sdk:sfn:describeExecution$/.test(resource)) return 'sfn:describeExecution';
  if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) return 'lambda:invoke';
  if (/^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:/.test(resource)) return 'lambda-arn';
  if (/^arn:aws[a-z-]*:states:::sqs:sendMessage$/.test(resource)) return 'sqs:sendMessage';
  return undefined;
}

function resourceParts(resource: string): { resourceType: string; resource: string } {
  const integration = /:states:::([^:]+):([^.]+)/.exec(resource);
  if (integration) return { resourceType: integration[1], resource: integration[2] };
  return { resourceType: 'lambda', resource: resource.split(':')[6] ?? resource };
}

async function recordCall(calls: TaskCall[], state: string, task: LocalTask, input: unknown, region: string): Promise<unknown> {
  const call: TaskCall = { state, ...resourceParts(task.resource), parameters: input, region, startedAt: Date.now() };
  calls.push(call);
  try {
    call.output = await task.handler(input);
    return call.output;
  } catch (err: unknown) {
    const e = err as Error;
    call.error = { error: e.name, cause: e instanceof LambdaInvocationFailure ? e.cause : e.message };
    throw err;
  } finally {
    call.endedAt = Date.now();
  }
}

function collectTasks(definition: Record<string, unknown>, visit: (name: string, state: Record<string, unknown>) => void): void {
  const states = (definition.States ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') visit(name, state);
    if (state.Type === 'Parallel') for (const branch of state.Branches as Record<string, unknown>[]) collectTasks(branch, visit);
    if (state.Type === 'Map') collectTasks((state.ItemProcessor ?? state.Iterator) as Record<string, unknown>, visit);
  }
}

/**
 * A copy of the definition with every Task `TimeoutSeconds` multiplied by `scale`, and the execution's timeout
 * multiplied too, or replaced by `executionTimeoutSeconds`.
 */
function scaleTimeouts(definition: Record<string, unknown>, scale: number, executionTimeoutSeconds?: number): Record<string, unknown> {
  // A JSON round trip, not structuredClone: the interpreter tells plain objects by their prototype, and
  // structuredClone builds them in the main realm even when this code runs inside a test sandbox.
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string, unknown>;
  if (scale !== 1) scaleTaskTimeouts(copy, scale);
  if (executionTimeoutSeconds !== undefined) copy.TimeoutSeconds = executionTimeoutSeconds;
  return copy;
}

function scaleTaskTimeouts(copy: Record<string, unknown>, scale: number): void {
  const visit = (d: Record<string, unknown>) => {
    for (const state of Object.values((d.States ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof state.TimeoutSeconds === 'number') state.TimeoutSeconds = state.TimeoutSeconds * scale;
      if (state.Type === 'Parallel') (state.Branches as Record<string, unknown>[]).forEach(visit);
      if (state.Type === 'Map') visit((state.ItemProcessor ?? state.Iterator) as Record<string, unknown>);
    }
  };
  visit(copy);
  if (typeof copy.TimeoutSeconds === 'number') copy.TimeoutSeconds = copy.TimeoutSeconds * scale;
}
