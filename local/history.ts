/**
 * Execution history shaped like Step Functions' `GetExecutionHistory`, built from the interpreter's event log and
 * the runtime's own record of each task call.
 */

/** One history event, with the same type names and detail fields as `GetExecutionHistory`. */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: Date;
  readonly type: string;
  readonly [details: string]: unknown;
}

/** One call a Task state made (one attempt), as the runtime saw it. */
export interface TaskCall {
  readonly state: string;
  readonly resourceType: string;
  readonly resource: string;
  readonly parameters: unknown;
  readonly region: string;
  readonly startedAt: number;
  endedAt?: number;
  output?: unknown;
  error?: { readonly error: string; readonly cause: string };
}

/** The interpreter's events (aws-local-stepfunctions' event log), as far as the history needs them. */
export interface InterpreterEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly input?: unknown;
  readonly output?: unknown;
  readonly Error?: string;
  readonly Cause?: unknown;
}

export interface HistorySummary {
  readonly events: HistoryEvent[];
  /** The states entered, in order. */
  readonly path: string[];
  /** State transitions as Step Functions counts them: states entered plus retries. */
  readonly transitions: number;
  readonly retries: number;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const causeText = (cause: unknown) => (typeof cause === 'string' ? cause : json(cause));

/**
 * Builds the history. Task calls are matched to the interpreter's Task events in order, state by state: each
 * `StateEntered` or `StateRetried` of a Task opens its next call, and the following `StateExited` or `StateFailed`
 * closes it. States run one after another in a saga; calls inside concurrent Parallel branches or Map iterations
 * with the same state name may be matched out of order.
 */
export function buildHistory(events: readonly InterpreterEvent[], calls: readonly TaskCall[], roleArn: string): HistorySummary {
  const out: HistoryEvent[] = [];
  const add = (timestamp: number, type: string, details: Record<string, unknown> = {}) =>
    out.push({ id: out.length + 1, previousEventId: out.length, timestamp: new Date(timestamp), type, ...details });
  const pending = new Map<string, TaskCall[]>();
  for (const call of calls) pending.set(call.state, [...(pending.get(call.state) ?? []), call]);
  const open = new Map<string, TaskCall | undefined>();
  const path: string[] = [];
  let retries = 0;

  const startCall = (state: string, timestamp: number) => {
    const call = pending.get(state)?.shift();
    open.set(state, call);
    if (!call) return;
    const base = { resourceType: call.resourceType, resource: call.resource };
    add(call.startedAt || timestamp, 'TaskScheduled', {
      taskScheduledEventDetails: { ...base, region: call.region, parameters: json(call.parameters) },
    });
    add(call.startedAt || timestamp, 'TaskStarted', { taskStartedEventDetails: base });
  };

  for (const event of events) {
    const state = event.state;
    switch (event.type) {
      case 'ExecutionStarted':
        add(event.timestamp, 'ExecutionStarted', {
          executionStartedEventDetails: { input: json(event.input), inputDetails: { truncated: false }, roleArn },
        });
        break;
      case 'StateEntered':
        path.push(state!.name);
        add(event.timestamp, `${state!.type}StateEntered`, {
          stateEnteredEventDetails: { name: state!.name, input: json(state!.input), inputDetails: { truncated: false } },
        });
        if (state!.type === 'Task') startCall(state!.name, event.timestamp);
        break;
      case 'StateRetried':
        retries++;
        if (state!.type === 'Task') startCall(state!.name, event.timestamp);
        break;
      case 'StateFailed': {
        if (state!.type !== 'Task') break;
        const call = open.get(state!.name);
        open.delete(state!.name);
        const base = { resourceType: call?.resourceType ?? 'unknown', resource: call?.resource ?? 'unknown' };
        if (event.Error === 'States.Timeout') {
          add(event.timestamp, 'TaskTimedOut', { taskTimedOutEventDetails: { ...base, error: 'States.Timeout', cause: causeText(event.Cause) } });
        } else {
          add(call?.endedAt ?? event.timestamp, 'TaskFailed', {
            taskFailedEventDetails: { ...base, error: call?.error?.error ?? event.Error, cause: call?.error?.cause ?? causeText(event.Cause) },
          });
        }
        break;
      }
      case 'StateExited': {
        if (state!.type === 'Task') {
          const call = open.get(state!.name);
          open.delete(state!.name);
          if (call) {
            add(call.endedAt ?? event.timestamp, 'TaskSucceeded', {
              taskSucceededEventDetails: { resourceType: call.resourceType, resource: call.resource, output: json(call.output), outputDetails: { truncated: false } },
            });
          }
        }
        add(event.timestamp, `${state!.type}StateExited`, {
          stateExitedEventDetails: { name: state!.name, output: json(state!.output), outputDetails: { truncated: false } },
        });
        break;
      }
      case 'ExecutionSucceeded':
        add(event.timestamp, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: json(event.output), outputDetails: { truncated: false } } });
        break;
      case 'ExecutionFailed':
        add(event.timestamp, 'ExecutionFailed', { executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) } });
        break;
      case 'ExecutionTimeout':
        add(event.timestamp, 'ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } });
        break;
      case 'ExecutionAborted':
        add(event.timestamp, 'ExecutionAborted', { executionAbortedEventDetails: {} });
        break;
      default:
        break;
    }
  }
  return { events: out, path, transitions: path.length + retries, retries };
}
