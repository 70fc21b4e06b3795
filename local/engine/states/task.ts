import { randomUUID } from 'node:crypto';
import {
  abortError,
  HeartbeatTimeoutError,
  NoTaskHandlerError,
  QueryEvaluationError,
  StatesError,
  StatesRuntimeError,
  TaskTimeoutError,
  toStatesError,
} from '../errors';
import { abortPromise, CANCELLED, scheduleTimer } from '../clock';
import type { TaskContext, TaskHandler } from '../execution-services';
import { historyJson, lazyDetails } from '../history';
import { isJsonataString } from '../jsonata';
import { withRetryAndCatch } from '../retry';
import type { StateRun } from '../state-run';
import type { JsonObject, StateOutcome } from '../types';
import { defaultNext } from './next';

/** How the history names a resource: `arn:aws:states:::lambda:invoke` → `{ resourceType: 'lambda', resource: 'invoke' }`. */
export function describeResource(resource: string): { resourceType: string; resource: string } {
  const service = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(resource);
  if (service) return { resourceType: service[1], resource: service[2] };
  const arn = /^arn:[^:]+:([^:]+):/.exec(resource);
  if (arn) return { resourceType: arn[1] === 'states' ? 'activity' : arn[1], resource };
  return { resourceType: 'unknown', resource };
}

async function seconds(run: StateRun, value: unknown, path: string | undefined, field: string): Promise<number | undefined> {
  let resolved: unknown = value;
  if (run.language === 'JSONata' && isJsonataString(value)) resolved = await run.evaluateExpression(value, field, { input: run.input });
  if (path !== undefined) {
    resolved = run.resolvePath(path, run.input, () => new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${path}' : No results for path: ${path}`));
  }
  if (resolved === undefined) return undefined;
  if (typeof resolved !== 'number' || !Number.isInteger(resolved) || resolved <= 0) {
    const message = `${run.errorPrefix()} The ${field} value must be a positive integer but was: ${historyJson(resolved)}`;
    throw run.language === 'JSONata' ? new QueryEvaluationError(message) : new StatesRuntimeError(message);
  }
  return resolved;
}

/** Task: calls the handler registered for its Resource, with TimeoutSeconds, HeartbeatSeconds, Retry and Catch. */
export async function runTask(run: StateRun): Promise<StateOutcome> {
  const def = run.def;
  const resource = def.Resource ?? '';
  const described = describeResource(resource);
  const recorder = run.frame.recorder;
  const cursor = run.frame.cursor;
  let attemptNumber = 0;
  return withRetryAndCatch(run, async () => {
    attemptNumber += 1;
    if (resource.endsWith('.waitForTaskToken')) run.taskToken = randomUUID();
    const parameters = await run.argumentsOrParameters();
    const timeout = await seconds(run, def.TimeoutSeconds, def.TimeoutSecondsPath, 'TimeoutSeconds');
    const heartbeat = await seconds(run, def.HeartbeatSeconds, def.HeartbeatSecondsPath, 'HeartbeatSeconds');
    const handler = run.services.resolveTask(resource);
    if (!handler) throw new NoTaskHandlerError(resource);
    recorder.add(cursor, 'TaskScheduled', {
      taskScheduledEventDetails: lazyDetails(
        {
          ...described,
          region: run.services.region,
          ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
          ...(heartbeat !== undefined ? { heartbeatInSeconds: heartbeat } : {}),
        },
        { parameters },
      ),
    });
    recorder.add(cursor, 'TaskStarted', { taskStartedEventDetails: described });
    let result: unknown;
    try {
      result = await new TaskAttempt(run, resource, attemptNumber, heartbeat).call(handler, parameters, timeout);
    } catch (err: unknown) {
      if (!(err instanceof StatesError)) throw err;
      const type = err instanceof TaskTimeoutError || err instanceof HeartbeatTimeoutError ? 'TaskTimedOut' : 'TaskFailed';
      const key = type === 'TaskTimedOut' ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails';
      recorder.add(cursor, type, { [key]: { ...described, error: err.name, cause: err.stateCause } });
      throw err;
    }
    recorder.add(cursor, 'TaskSucceeded', { taskSucceededEventDetails: lazyDetails(described, { output: result }) });
    const done = await run.finish(run.input, result, { resultSelector: true });
    return { ...done, next: defaultNext(def) };
  });
}

/**
 * One call of a task handler, racing its timeout, its heartbeat and the branch's abort. A class rather than closures:
 * this runs for every task, and closures cost (tsx names each one at run time).
 */
class TaskAttempt implements TaskContext {
  readonly stateName: string;
  readonly contextObject: JsonObject;
  readonly taskToken: string | undefined;
  private controller: AbortController | undefined;
  private failure: Error | undefined;
  private rejectStopped: ((err: Error) => void) | undefined;
  private cancelTimeout: (() => void) | undefined;
  private cancelHeartbeat: (() => void) | undefined;
  private listening = false;
  /** When the TimeoutSeconds timer fires, on the clock; undefined without TimeoutSeconds. */
  private deadline: number | undefined;
  /** What the TimeoutSeconds timer had left when `queued()` paused it; undefined while it runs. */
  private pausedWithMs: number | undefined;
  private ended = false;

  constructor(
    private readonly run: StateRun,
    readonly resource: string,
    readonly attempt: number,
    private readonly heartbeatSeconds: number | undefined,
  ) {
    this.stateName = run.name;
    this.contextObject = run.contextObject();
    this.taskToken = run.taskToken;
  }

  /** Made on first read: most handlers never look at it, and AbortControllers cost. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.failure) this.controller.abort(this.failure);
      else {
        this.listening = true;
        this.run.signal.addEventListener('abort', this, { once: true });
      }
    }
    return this.controller.signal;
  }

  /** The parent signal's abort listener (an EventListener object: no closure). */
  handleEvent(): void {
    this.stop(abortError(this.run.signal));
  }

  /** A property, not a method, so that handlers may pass it around detached. */
  readonly heartbeat = (): void => {
    if (this.heartbeatSeconds === undefined || this.failure) return;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = scheduleTimer(this.run.services.clock, this.heartbeatSeconds * 1000 * this.run.services.timeScale * this.run.services.taskTimeoutScale, () =>
      this.stop(new HeartbeatTimeoutError()),
    );
  };

  /**
   * Pauses the TimeoutSeconds timer (a property, as `heartbeat` is, so that handlers may pass it around detached).
   * Why a pause and not a later start: the engine cannot know, when it schedules the Task, whether the handler will
   * wait; the handler says so when it does, and the time it waited is all that goes uncounted.
   */
  readonly queued = (): void => {
    if (this.deadline === undefined || this.pausedWithMs !== undefined || this.ended || this.failure) return;
    this.pausedWithMs = Math.max(0, this.deadline - this.run.services.clock.now());
    this.cancelTimeout?.();
    this.cancelTimeout = undefined;
  };

  /** Resumes the TimeoutSeconds timer paused by `queued()`, with the time it had left. */
  readonly started = (): void => {
    if (this.pausedWithMs === undefined || this.ended || this.failure) return;
    const remaining = this.pausedWithMs;
    this.pausedWithMs = undefined;
    this.startTimeout(remaining);
  };

  private startTimeout(ms: number): void {
    this.deadline = this.run.services.clock.now() + ms;
    this.cancelTimeout = scheduleTimer(this.run.services.clock, ms, () =>
      // AWS reports a Task's timeout with an empty cause: a Catch receives {"Error":"States.Timeout","Cause":""}.
      this.stop(new TaskTimeoutError('')),
    );
  }

  private stop(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectStopped?.(err);
    this.controller?.abort(err);
  }

  async call(handler: TaskHandler, input: unknown, timeout: number | undefined): Promise<unknown> {
    const run = this.run;
    if (run.signal.aborted) throw abortError(run.signal);
    const stopped = new Promise<never>((_resolve, reject) => {
      this.rejectStopped = reject;
    });
    stopped.catch(ignore);
    if (timeout !== undefined) this.startTimeout(timeout * 1000 * run.services.timeScale * run.services.taskTimeoutScale);
    this.heartbeat();
    const call = invoke(handler, input, this, run.signal);
    try {
      return await Promise.race([call, stopped, abortPromise(run.signal)]);
    } catch (err: unknown) {
      call.catch(ignore);
      if (err instanceof Error) this.stop(err);
      throw err;
    } finally {
      this.ended = true;
      this.cancelTimeout?.();
      this.cancelHeartbeat?.();
      if (this.listening) run.signal.removeEventListener('abort', this);
      if (this.controller && !this.controller.signal.aborted) this.controller.abort(CANCELLED);
    }
  }
}

async function invoke(handler: TaskHandler, input: unknown, context: TaskContext, parent: AbortSignal): Promise<unknown> {
  try {
    // A handler that returns nothing gives `null`, as a Lambda function without a return value does.
    return (await handler(input, context)) ?? null;
  } catch (err: unknown) {
    if (parent.aborted) throw abortError(parent);
    throw toStatesError(err);
  }
}

function ignore(): undefined {
  return undefined;
}
