/**
 * The ASL engine: runs a state machine definition (both query languages) the way Step Functions does, recording a
 * `GetExecutionHistory`-shaped history. It knows nothing about what its tasks do: Task resources are served by the
 * handlers its caller plugs in.
 */
import { randomUUID } from 'node:crypto';
import { abortPromise, realClock, scheduleTimer, type Clock } from './clock';
import {
  abortError,
  BranchAbortedError,
  ExecutionInterruptedError,
  InvalidDefinitionError,
  QueryEvaluationError,
  StatesError,
  StatesRuntimeError,
} from './errors';
import type { ExecutionServices, Frame, RetryDelayInfo, TaskHandler, TaskHandlers } from './execution-services';
import { HistoryCursor, HistoryRecorder, lazyDetails, type HistoryEvent } from './history';
import { StateRun } from './state-run';
import { runChoice } from './states/choice';
import { runFail } from './states/fail';
import { runMap } from './states/map';
import { runParallel } from './states/parallel';
import { runPass } from './states/pass';
import { runSucceed } from './states/succeed';
import { runTask } from './states/task';
import { runWait } from './states/wait';
import type { JsonObject, StateDefinition, StateMachineDefinition, StateOutcome } from './types';
import { VariableScope } from './variables';

/** Options of an engine. */
export interface AslEngineOptions {
  /**
   * Task handlers by Resource (or a resolver). A Task whose resource has none fails with `States.Runtime`.
   * @default - no handlers
   */
  readonly tasks?: TaskHandlers;
  /**
   * The clock for waits, retry intervals and timeouts.
   * @default - real time
   */
  readonly clock?: Clock;
  /**
   * Multiplies every wait, retry interval, task timeout and the execution's TimeoutSeconds (0.001: a 60 s wait
   * takes 60 ms).
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * Multiplies every Task's TimeoutSeconds and HeartbeatSeconds, on top of `timeScale`, leaving waits and retry
   * intervals as they are (a caller that runs its tasks' own timeouts faster, as a test runtime does).
   * @default 1
   */
  readonly taskTimeoutScale?: number;
  /**
   * Overrides the delay before each retry (milliseconds, used as is: not scaled).
   * @default - AWS's delay (interval, backoff, MaxDelaySeconds, jitter) times `timeScale`
   */
  readonly retryDelay?: (info: RetryDelayInfo) => number;
  /** @default 'StateMachine' */
  readonly stateMachineName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** @default - arn:aws:iam::<account>:role/<state machine name>-role */
  readonly roleArn?: string;
}

/** Options of one execution. */
export interface StartExecutionOptions {
  /** @default - a random UUID */
  readonly name?: string;
  /** Aborting it stops the execution (status ABORTED). */
  readonly signal?: AbortSignal;
  /**
   * Task handlers for this execution only, instead of the engine's (e.g. per-execution mocks or recording).
   * @default - the engine's `tasks`
   */
  readonly tasks?: TaskHandlers;
}

/** Final status of an execution. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** How an execution ended. */
export interface ExecutionResult {
  readonly status: Exclude<ExecutionStatus, 'RUNNING'>;
  /** SUCCEEDED only. */
  readonly output?: unknown;
  /** FAILED / ABORTED: the error name (undefined when AWS reports none). */
  readonly error?: string;
  /** FAILED / ABORTED: the cause (undefined when AWS reports none). */
  readonly cause?: string;
  readonly history: readonly HistoryEvent[];
  /** Retries made by every state of the execution (Step Functions bills each one as a state transition). */
  readonly retries: number;
  readonly startDate: Date;
  readonly stopDate: Date;
}

/** State types with a `<Type>StateAborted` history event. */
const ABORTABLE = new Set(['Task', 'Wait', 'Map', 'Parallel']);

type StateHandler = (run: StateRun) => Promise<StateOutcome>;

const HANDLERS: Readonly<Record<string, StateHandler>> = {
  Pass: runPass,
  Task: runTask,
  Choice: runChoice,
  Wait: runWait,
  Succeed: runSucceed,
  Fail: runFail,
  Parallel: runParallel,
  Map: runMap,
};

function validate(machine: StateMachineDefinition, where: string): void {
  if (!machine || typeof machine !== 'object' || typeof machine.StartAt !== 'string' || !machine.States) {
    throw new InvalidDefinitionError(`${where}: a state machine needs StartAt and States`);
  }
  if (!(machine.StartAt in machine.States)) throw new InvalidDefinitionError(`${where}: StartAt '${machine.StartAt}' is not a state`);
  for (const [name, state] of Object.entries(machine.States)) {
    if (!(state.Type in HANDLERS)) throw new InvalidDefinitionError(`${where}: state '${name}' has unknown Type '${String(state.Type)}'`);
    const targets = [state.Next, state.Default, ...(state.Catch ?? []).map((c) => c.Next), ...(state.Choices ?? []).map((c) => c.Next)];
    for (const target of targets) {
      if (target !== undefined && !(target in machine.States)) {
        throw new InvalidDefinitionError(`${where}: state '${name}' goes to '${target}', which is not a state`);
      }
    }
    if (state.Type === 'Map') {
      if (state.ItemReader !== undefined || state.ResultWriter !== undefined) {
        throw new InvalidDefinitionError(
          `${where}: Map state '${name}' uses ItemReader/ResultWriter (S3), which the local engine does not emulate`,
        );
      }
      const processor = state.ItemProcessor ?? state.Iterator;
      if (!processor) throw new InvalidDefinitionError(`${where}: Map state '${name}' has no ItemProcessor`);
      validate(processor, `${where}/${name}`);
    }
    if (state.Type === 'Parallel') (state.Branches ?? []).forEach((b, i) => validate(b, `${where}/${name}[${i}]`));
  }
}

/**
 * Runs executions of one state machine definition.
 *
 * @example
 * const engine = new AslEngine(definition, {
 *   tasks: { 'arn:aws:states:::lambda:invoke': async (input) => ({ StatusCode: 200, Payload: await invoke(input) }) },
 * });
 * const result = await engine.execute({ orderId: 'ord-1' });
 * // result.status === 'SUCCEEDED', result.output, result.history
 */
export class AslEngine {
  readonly definition: StateMachineDefinition;

  constructor(definition: StateMachineDefinition | string, readonly options: AslEngineOptions = {}) {
    this.definition = typeof definition === 'string' ? (JSON.parse(definition) as StateMachineDefinition) : definition;
    validate(this.definition, 'definition');
    const scale = options.timeScale ?? 1;
    if (!(scale >= 0)) throw new InvalidDefinitionError(`timeScale must be a non-negative number, got ${scale}`);
    const taskScale = options.taskTimeoutScale ?? 1;
    if (!(taskScale >= 0)) throw new InvalidDefinitionError(`taskTimeoutScale must be a non-negative number, got ${taskScale}`);
  }

  /** Starts an execution; await `execution.result` for its end. */
  startExecution(input: unknown = {}, options: StartExecutionOptions = {}): Execution {
    return new Execution(this, input, options);
  }

  /** Runs one execution to its end. */
  execute(input: unknown = {}, options: StartExecutionOptions = {}): Promise<ExecutionResult> {
    return this.startExecution(input, options).result;
  }
}

function taskResolver(tasks: TaskHandlers | undefined): (resource: string) => TaskHandler | undefined {
  if (!tasks) return () => undefined;
  const find = typeof tasks === 'function' ? tasks : (resource: string) => (Object.prototype.hasOwnProperty.call(tasks, resource) ? tasks[resource] : undefined);
  return (resource) => find(resource) ?? find(resource.replace(/\.(sync(:2)?|waitForTaskToken)$/, ''));
}

/** One execution: its live history, its status, and `stop()`. */
export class Execution implements ExecutionServices {
  readonly name: string;
  readonly executionArn: string;
  readonly clock: Clock;
  readonly timeScale: number;
  readonly taskTimeoutScale: number;
  readonly retryDelay?: (info: RetryDelayInfo) => number;
  readonly resolveTask: (resource: string) => TaskHandler | undefined;
  readonly contextBase: { readonly Execution: JsonObject; readonly StateMachine: JsonObject };
  readonly region: string;
  readonly accountId: string;
  /** Resolves when the execution ends (it never rejects). */
  readonly result: Promise<ExecutionResult>;

  private readonly recorder: HistoryRecorder;
  private readonly controller = new AbortController();
  private currentStatus: ExecutionStatus = 'RUNNING';
  private retryTotal = 0;
  private stopDetails: { error?: string; cause?: string } = {};

  constructor(private readonly engine: AslEngine, readonly input: unknown, options: StartExecutionOptions) {
    const o = engine.options;
    this.clock = o.clock ?? realClock;
    this.timeScale = o.timeScale ?? 1;
    this.taskTimeoutScale = o.taskTimeoutScale ?? 1;
    this.retryDelay = o.retryDelay;
    this.resolveTask = taskResolver(options.tasks ?? o.tasks);
    this.region = o.region ?? 'us-east-1';
    this.accountId = o.accountId ?? '123456789012';
    const smName = o.stateMachineName ?? 'StateMachine';
    this.name = options.name ?? randomUUID();
    this.executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${smName}:${this.name}`;
    const roleArn = o.roleArn ?? `arn:aws:iam::${this.accountId}:role/${smName}-role`;
    this.recorder = new HistoryRecorder(() => this.clock.now());
    const startTime = this.clock.now();
    this.contextBase = {
      Execution: { Id: this.executionArn, Input: input, Name: this.name, RoleArn: roleArn, StartTime: new Date(startTime).toISOString(), RedriveCount: 0 },
      StateMachine: { Id: `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${smName}`, Name: smName },
    };
    if (options.signal) {
      const external = options.signal;
      if (external.aborted) this.stop();
      else external.addEventListener('abort', () => this.stop(), { once: true });
    }
    this.result = this.run(roleArn, startTime);
  }

  /** The history so far (live: grows while the execution runs). */
  get history(): readonly HistoryEvent[] {
    return this.recorder.events;
  }

  /** Retries made so far by every state of the execution. */
  get retries(): number {
    return this.retryTotal;
  }

  /** Counts one retry (called by Retry handling, whatever the state type). */
  countRetry(): void {
    this.retryTotal += 1;
  }

  /** RUNNING until `result` settles, then how the execution ended. */
  get status(): ExecutionStatus {
    return this.currentStatus;
  }

  /** Stops the execution: it ends ABORTED with this error and cause (like `StopExecution`). */
  stop(error?: string, cause?: string): void {
    if (this.controller.signal.aborted || this.currentStatus !== 'RUNNING') return;
    this.stopDetails = { error, cause };
    this.controller.abort(new ExecutionInterruptedError('ABORTED'));
  }

  private async run(roleArn: string, startTime: number): Promise<ExecutionResult> {
    const cursor = new HistoryCursor(0);
    const definition = this.engine.definition;
    this.recorder.add(cursor, 'ExecutionStarted', {
      executionStartedEventDetails: lazyDetails({ inputDetails: { truncated: false }, roleArn }, { input: this.input }),
    });
    const cancelTimeout =
      definition.TimeoutSeconds !== undefined
        ? scheduleTimer(this.clock, definition.TimeoutSeconds * 1000 * this.timeScale, () =>
            this.controller.abort(new ExecutionInterruptedError('TIMED_OUT')),
          )
        : undefined;
    const interrupted = abortPromise(this.controller.signal);
    const frame: Frame = {
      scope: new VariableScope(),
      cursor,
      recorder: this.recorder,
      signal: this.controller.signal,
      queryLanguage: definition.QueryLanguage ?? 'JSONPath',
    };
    let status: Exclude<ExecutionStatus, 'RUNNING'>;
    let output: unknown;
    let error: string | undefined;
    let cause: string | undefined;
    try {
      output = await Promise.race([this.runStates(definition, this.input, frame), interrupted]);
      status = 'SUCCEEDED';
      this.recorder.close(cursor, 'ExecutionSucceeded', {
        executionSucceededEventDetails: lazyDetails({ outputDetails: { truncated: false } }, { output }),
      });
    } catch (err: unknown) {
      cursor.last = this.recorder.lastId;
      const reason: unknown = this.controller.signal.reason;
      if (this.controller.signal.aborted && reason instanceof ExecutionInterruptedError) {
        if (reason.reason === 'TIMED_OUT') {
          status = 'TIMED_OUT';
          this.recorder.close(cursor, 'ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } });
        } else {
          status = 'ABORTED';
          ({ error, cause } = this.stopDetails);
          this.recorder.close(cursor, 'ExecutionAborted', { executionAbortedEventDetails: { error, cause } });
        }
      } else {
        status = 'FAILED';
        const failure = err instanceof StatesError ? err : new StatesRuntimeError(err instanceof Error ? err.message : String(err), { cause: err });
        error = failure.hasName ? failure.name : undefined;
        cause = failure.stateCause;
        this.recorder.close(cursor, 'ExecutionFailed', { executionFailedEventDetails: { error, cause } });
      }
    } finally {
      cancelTimeout?.();
    }
    this.currentStatus = status;
    return {
      status,
      ...(status === 'SUCCEEDED' ? { output } : { error, cause }),
      history: this.recorder.events,
      retries: this.retryTotal,
      startDate: new Date(startTime),
      stopDate: new Date(this.clock.now()),
    };
  }

  /** Runs the states of `machine` from StartAt in `frame` and resolves with the last state's output. */
  async runStates(machine: StateMachineDefinition, input: unknown, frame: Frame): Promise<unknown> {
    let name = machine.StartAt;
    let current = input;
    for (;;) {
      if (frame.signal.aborted) throw abortError(frame.signal);
      const def = machine.States[name];
      const outcome = await this.runState(name, def, current, frame);
      if (outcome.next === undefined) return outcome.output;
      name = outcome.next;
      current = outcome.output;
    }
  }

  private async runState(name: string, def: StateDefinition, input: unknown, frame: Frame): Promise<StateOutcome> {
    const recorder = frame.recorder;
    const enteredId = recorder.add(frame.cursor, `${def.Type}StateEntered`, {
      stateEnteredEventDetails: lazyDetails({ name }, { input }),
    });
    const run = new StateRun(this, frame, name, def, input, enteredId, this.clock.now());
    let outcome: StateOutcome;
    try {
      outcome = await HANDLERS[def.Type](run);
    } catch (err: unknown) {
      if (err instanceof QueryEvaluationError) run.recordEvaluationFailed(err);
      // A state stopped because a sibling branch or iteration failed: AWS records it as aborted.
      if (err instanceof BranchAbortedError && ABORTABLE.has(def.Type)) {
        recorder.add(frame.cursor, `${def.Type}StateAborted`);
      }
      throw err;
    }
    if (frame.signal.aborted) throw abortError(frame.signal);
    const assigned = outcome.assigned;
    recorder.add(frame.cursor, `${def.Type}StateExited`, {
      stateExitedEventDetails: lazyDetails(
        assigned && Object.keys(assigned).length > 0
          ? { name, assignedVariables: lazyDetails({}, assigned), assignedVariablesDetails: { truncated: false } }
          : { name },
        { output: outcome.output },
      ),
    });
    return outcome;
  }
}

