import { randomUUID } from 'node:crypto';
import { assertSupported } from './asl-support';
import { loadSynthesizedStack, type CfnResource, type LoadStackOptions } from './cloud-assembly';
import { createTables, dynamoDbEnvironment, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { AslEngine, TaskError, type StateMachineDefinition, type TaskHandler } from './engine';
import { statesEntered, type HistoryEvent } from './history';
import { LambdaPool, type Isolation } from './lambda-pool';
import { LateDeliveries, type LateDeliveryOptions, type LateDeliveryReport } from './late-delivery';
import { LocalEventBus, type TargetFailure } from './event-bus';
import { localNamesFromStack, resolveEventRules } from './event-rules';
import { executionStatusChangeEvent, type ExecutionEventStatus } from './execution-status-event';
import { LocalQueues } from './local-queues';
import { resolveLocalStack, type LocalStack, type LocalStateMachine } from './local-stack';
import { responseFor, testCaseMocks, type MockConfig, type MockedResponse } from './mock-config';
import { LocalTaskHandlers, taskKind } from './task-handlers';

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
   * Multiplies Lambda function timeouts, Task `TimeoutSeconds` and the execution's
   * `TimeoutSeconds` (tests and demos run faster with less than 1). Wait states run as written.
   * @default 1
   */
  readonly timeoutScale?: number;
  /** Most warm execution environments per function. @default 8 */
  readonly maxWorkersPerFunction?: number;
  /**
   * Where the functions' code runs: `inline` in this process, each execution environment with its own module
   * instance, environment variables and output; `worker` in worker threads, each limited to the function's memory
   * size and terminated when it times out. See `Isolation` in lambda-pool.ts. @default 'inline'
   */
  readonly isolation?: Isolation;
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
  /**
   * More environment for every function, such as the endpoint of a local service it calls
   * (`AWS_ENDPOINT_URL_SFN` for the Orders API's command function). @default - none
   */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
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
  /** Retries of every state (each one a billed transition). */
  readonly retries: number;
  /** The engine's history of the execution, shaped like `GetExecutionHistory`. */
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

/**
 * Runs a synthesized CDK stack on this machine with no AWS account and no Docker: DynamoDB Local for the tables,
 * execution environments running the bundled Lambda code, in-memory SQS queues, and the project's own ASL engine
 * (`local/engine`, both query languages) for the state machines.
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
  /** Every event bus of the stack by name: `default` and the stack's own (`AWS::Events::EventBus`). */
  readonly buses: ReadonlyMap<string, LocalEventBus>;
  private readonly machines = new Map<string, { spec: LocalStateMachine; engine: AslEngine }>();
  private readonly tasks: LocalTaskHandlers;
  private closed = false;
  private closing: Promise<void> | undefined;

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
    /** The synthesized template's resources, for the emulators that read more of it (the API, the pipes). */
    readonly resources: Readonly<Record<string, CfnResource>>,
  ) {
    this.late = options.deliverLate ? new LateDeliveries(options.deliverLate) : undefined;
    const served = new Set([...stack.stateMachines, ...stack.functions, ...stack.queues].map((r) => r.arn));
    const rules = resolveEventRules(resources, { names: localNamesFromStack(stack, resources), targetExists: (arn) => served.has(arn) });
    const bus = (name?: string) =>
      new LocalEventBus({
        rules,
        name,
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
    this.events = bus();
    // The stack's own buses (AWS::Events::EventBus), each with its rules: what a pipe or an application puts events on.
    const custom = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Events::EventBus')
      .map(([logicalId, r]) => (typeof r.Properties?.Name === 'string' ? r.Properties.Name : logicalId));
    this.buses = new Map([['default', this.events], ...custom.map((name): [string, LocalEventBus] => [name, bus(name)])]);
    const main = stack.stateMachines.length === 1 ? stack.stateMachines[0].arn : stack.outputs.StateMachineArn;
    this.tasks = new LocalTaskHandlers({ pool, queues, describeExecution: (arn) => this.describeExecution(arn) });
    const scale = options.timeoutScale ?? 1;
    for (const spec of stack.stateMachines) {
      const definition = spec.definition as unknown as StateMachineDefinition;
      const engine = new AslEngine(withExecutionTimeout(definition, scale, spec.arn === main ? options.executionTimeoutSeconds : undefined), {
        stateMachineName: spec.name,
        region: stack.region,
        accountId: stack.accountId,
        roleArn: `arn:aws:iam::${stack.accountId}:role/local`,
        taskTimeoutScale: scale,
        retryDelay: options.retryDelayMs === undefined ? undefined : () => options.retryDelayMs!,
      });
      this.machines.set(spec.arn, { spec, engine });
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
        baseEnvironment: { ...dynamoDbEnvironment(endpoint, region), ...options.functionEnvironment },
        timeoutScale: options.timeoutScale,
        maxWorkersPerFunction: options.maxWorkersPerFunction,
        isolation: options.isolation,
        onLog: options.onFunctionLog,
        deliverTwice: options.deliverTwice,
      });
      return new LocalRuntime(stack, new LocalQueues(stack.queues), endpoint, pool, db, options, synthesized.template.Resources);
    } catch (err: unknown) {
      await (db ?? (await dbStart?.catch(() => undefined)))?.stop();
      throw err;
    }
  }

  /** The process of the DynamoDB Local this runtime started (none when it was given an endpoint). */
  get dynamoDbProcessId(): number | undefined {
    return this.db?.pid;
  }

  /** Starts one warm execution environment per function, so the first executions do not wait for cold starts. */
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
      for (const bus of this.buses.values()) await bus.settled();
      await this.late?.settled();
      if ([...this.executions.values()].every((e) => e.status !== 'RUNNING')) return;
    }
  }

  /** Waits for every late copy scheduled so far (with `deliverLate`), then tells what they did. */
  async lateDeliveries(): Promise<LateDeliveryReport> {
    await this.late?.settled();
    return this.late?.report() ?? { delivered: 0, outcomes: {} };
  }

  /**
   * Stops every running execution and worker, and DynamoDB Local if this runtime started it. Every call, the first
   * and any made while it runs (Ctrl-C during a failing start), resolves once all of it has stopped.
   */
  close(): Promise<void> {
    this.closing ??= this.stopEverything();
    return this.closing;
  }

  private async stopEverything(): Promise<void> {
    this.closed = true;
    this.late?.close();
    for (const e of this.executions.values()) if (e.status === 'RUNNING') e.stop();
    await this.pool.close();
    await this.db?.stop();
  }

  private run(spec: LocalStateMachine, executionArn: string, name: string, input: unknown, mocks: ReturnType<typeof testCaseMocks>): LocalExecution {
    const { engine } = this.machines.get(spec.arn)!;
    // Late copies of Lambda invocations, delivered after a delay or once this execution has ended.
    let endExecution: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (endExecution = resolve));
    const tasks = new ExecutionTasks(this.tasks, mocks, this.late, executionArn, ended);
    const startDate = new Date();
    this.emitStatusChange({ executionArn, stateMachineArn: spec.arn, name, status: 'RUNNING', startDate, input });
    const running = engine.startExecution(input, { name, tasks: (resource) => tasks.handler(resource) });
    let status: ExecutionStatus = 'RUNNING';
    const result = running.result.then((ran): ExecutionResult => {
      const final = ran.status;
      // Step Functions reports a timed-out execution with the error States.Timeout (DescribeExecution, status events).
      const error = final === 'TIMED_OUT' ? 'States.Timeout' : ran.error;
      const cause = ran.cause;
      const stopDate = new Date();
      status = final;
      endExecution();
      this.emitStatusChange({ executionArn, stateMachineArn: spec.arn, name, status: final, startDate, stopDate, input, output: ran.output, error, cause });
      const path = statesEntered(ran.history);
      return {
        executionArn,
        stateMachineArn: spec.arn,
        name,
        status: final,
        input,
        ...(final === 'SUCCEEDED' ? { output: ran.output } : { error, cause }),
        startDate,
        stopDate,
        path,
        transitions: path.length + ran.retries,
        retries: ran.retries,
        history: ran.history,
      };
    });
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
      history: () => [...running.history],
      stop: (error?: string, cause?: string) => {
        if (status !== 'RUNNING') return;
        running.stop(error, cause);
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
    if (!execution) throw new TaskError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${executionArn}'`);
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
}

/**
 * The Task handlers of one execution: mocked states answer from the test case, by attempt (zero-based, counted per
 * state in this execution); Lambda invocations may get a late copy; every other call goes to the runtime's handlers.
 */
class ExecutionTasks {
  private readonly mockAttempts = new Map<string, number>();
  private readonly lateAttempts = new Map<string, number>();

  constructor(
    private readonly served: LocalTaskHandlers,
    private readonly mocks: Readonly<Record<string, Record<string, MockedResponse>>>,
    private readonly late: LateDeliveries | undefined,
    private readonly executionArn: string,
    private readonly ended: Promise<void>,
  ) {}

  handler(resource: string): TaskHandler | undefined {
    const served = this.served.handler(resource);
    if (!served) return undefined;
    const late = this.late && taskKind(resource)?.startsWith('lambda') ? this.late : undefined;
    return (input, context) => {
      const state = context.stateName;
      const call = (): Promise<unknown> => (this.mocks[state] ? this.mocked(state) : served(input, context));
      const outcome = call();
      if (late) {
        const attempt = this.lateAttempts.get(state) ?? 0;
        this.lateAttempts.set(state, attempt + 1);
        if (late.picks(`${this.executionArn}/${state}/${attempt}`)) late.schedule(call, { returned: outcome, ended: this.ended });
      }
      return outcome;
    };
  }

  private mocked(state: string): Promise<unknown> {
    const attempt = this.mockAttempts.get(state) ?? 0;
    this.mockAttempts.set(state, attempt + 1);
    const response = responseFor(this.mocks[state], attempt);
    if ('Throw' in response) return Promise.reject(new TaskError(response.Throw.Error, response.Throw.Cause ?? ''));
    return Promise.resolve(response.Return);
  }
}

/**
 * The definition to run: the execution's timeout (`TimeoutSeconds` at the top) multiplied by `scale`, or replaced by
 * `executionTimeoutSeconds`. Task timeouts are scaled by the engine (`taskTimeoutScale`), which keeps the definition's
 * values in the history.
 */
function withExecutionTimeout(definition: StateMachineDefinition, scale: number, executionTimeoutSeconds?: number): StateMachineDefinition {
  if (executionTimeoutSeconds !== undefined) return { ...definition, TimeoutSeconds: executionTimeoutSeconds };
  if (scale !== 1 && typeof definition.TimeoutSeconds === 'number') return { ...definition, TimeoutSeconds: definition.TimeoutSeconds * scale };
  return definition;
}
