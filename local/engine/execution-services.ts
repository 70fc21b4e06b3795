/** What every running state can use from its execution: history, clock, task handlers, and running nested states. */
import type { Clock } from './clock';
import type { HistoryCursor, HistoryRecorder } from './history';
import type { JsonObject, QueryLanguage, StateMachineDefinition } from './types';
import type { VariableScope } from './variables';

/** What a task handler receives besides its input. */
export interface TaskContext {
  /** The Task's `Resource` as written in the definition (after any template resolution by the caller). */
  readonly resource: string;
  /** The Task state's name. */
  readonly stateName: string;
  /** Aborts when the task times out, the execution stops, or a sibling branch fails: stop work and return. */
  readonly signal: AbortSignal;
  /** Resets the state's HeartbeatSeconds timer. */
  heartbeat(): void;
  /**
   * Says that the handler is waiting for something the emulator lacks and AWS would not make it wait for (a free
   * local worker): the Task's `TimeoutSeconds` timer pauses until {@link TaskContext.started}. A handler that calls
   * neither is timed from the moment the Task was scheduled, as on AWS. Does nothing once the attempt has ended.
   */
  queued(): void;
  /**
   * Says that the work starts (again) now: the `TimeoutSeconds` timer paused by {@link TaskContext.queued} resumes
   * with the time it had left. Does nothing when the timer is not paused.
   */
  started(): void;
  /** The context object (`$$`) of this state. */
  readonly contextObject: JsonObject;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /**
   * The task token (`$$.Task.Token`) of a `.waitForTaskToken` resource: the handler resolves once the token's
   * SendTaskSuccess arrives (or throws on SendTaskFailure). Undefined for other resources.
   */
  readonly taskToken?: string;
}

/**
 * Runs one Task resource: resolves with the task's result (any JSON value) or throws to fail the Task. Throw a
 * `TaskError(errorName, cause)` (or any `Error`: its `name` and `message`) to choose the error Retry/Catch see.
 */
export type TaskHandler = (input: unknown, context: TaskContext) => Promise<unknown>;

/**
 * How the engine finds a Task's handler: a map from `Resource` to handler, or a function returning the handler for a
 * resource (`undefined` when there is none). A `.sync` / `.waitForTaskToken` suffix falls back to the bare resource.
 */
export type TaskHandlers = Readonly<Record<string, TaskHandler>> | ((resource: string) => TaskHandler | undefined);

/** What a retry delay override receives. */
export interface RetryDelayInfo {
  readonly stateName: string;
  readonly error: string;
  /** 1 for the first retry. */
  readonly attempt: number;
  /** The delay AWS would wait (interval, backoff, cap and jitter applied), in milliseconds, before scaling. */
  readonly computedMs: number;
}

/** One line of execution: the execution itself, a Parallel branch or a Map iteration. */
export interface Frame {
  readonly scope: VariableScope;
  readonly cursor: HistoryCursor;
  readonly recorder: HistoryRecorder;
  readonly signal: AbortSignal;
  readonly queryLanguage: QueryLanguage;
  /** `$$.Map.Item` inside a Map iteration. */
  readonly mapItem?: { readonly Index: number; readonly Value: unknown };
}

/** The execution-wide services states use. */
export interface ExecutionServices {
  readonly clock: Clock;
  /** Multiplies every wait, retry interval and timeout. */
  readonly timeScale: number;
  /** Multiplies Task TimeoutSeconds and HeartbeatSeconds, on top of `timeScale`. */
  readonly taskTimeoutScale: number;
  readonly retryDelay?: (info: RetryDelayInfo) => number;
  readonly resolveTask: (resource: string) => TaskHandler | undefined;
  /** Counts one retry of any state (for the execution's total). */
  countRetry(): void;
  /** `$$.Execution` and `$$.StateMachine`. */
  readonly contextBase: { readonly Execution: JsonObject; readonly StateMachine: JsonObject };
  readonly region: string;
  readonly accountId: string;
  /** Runs a nested state machine (branch, iteration) in `frame`, resolving with its output. */
  runStates(machine: StateMachineDefinition, input: unknown, frame: Frame): Promise<unknown>;
}
