import type { Lane, StateMark } from './state-graph';

/** A history event as `GetExecutionHistory` answers it (JSON). */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId?: number;
  readonly type: string;
  readonly timestamp: number;
  readonly [details: string]: unknown;
}

/**
 * The path an execution took, from its history: each state's last outcome and how often it was retried. Events are
 * tied to their state by `previousEventId`, so interleaved branches of a Parallel state stay apart.
 */
export interface ExecutionPath {
  readonly marks: Map<string, StateMark>;
  readonly retried: Map<string, number>;
  /** The state each event belongs to (by event id). */
  readonly stateOf: Map<number, string>;
  /** The transitions taken, as `from→to` (the state an entered state's previous event belongs to). */
  readonly transitions: Set<string>;
}

const detailsOf = (event: HistoryEvent): Record<string, unknown> | undefined => {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  return key ? (event[key] as Record<string, unknown>) : undefined;
};

export function executionPath(events: readonly HistoryEvent[], lanes: ReadonlyMap<string, Lane>, running: boolean): ExecutionPath {
  const stateOf = new Map<number, string>();
  const entries = new Map<string, { exited: boolean; failed: boolean; scheduled: number }>();
  const retried = new Map<string, number>();
  const marks = new Map<string, StateMark>();
  // Parallel and Map states entered and not exited yet: their own events (`ParallelStateFailed`) follow a branch's.
  const open: { kind: string; name: string }[] = [];
  const transitions = new Set<string>();
  for (const event of events) {
    const name = detailsOf(event)?.name;
    let state: string | undefined;
    const kind = /^(Parallel|Map)State/.exec(event.type)?.[1];
    if (event.type.endsWith('StateEntered') && typeof name === 'string') {
      state = name;
      const from = event.previousEventId === undefined ? undefined : stateOf.get(event.previousEventId);
      if (from !== undefined) transitions.add(`${from}→${name}`);
      entries.set(name, { exited: false, failed: false, scheduled: 0 });
      if (kind) open.push({ kind, name });
    } else if (event.type.endsWith('StateExited') && typeof name === 'string') {
      state = name;
      const entry = entries.get(name);
      if (entry) entry.exited = true;
      const index = open.findLastIndex((o) => o.name === name);
      if (index >= 0) open.splice(index, 1);
    } else if (kind || event.previousEventId !== undefined) {
      state = kind ? open.findLast((o) => o.kind === kind)?.name : undefined;
      state ??= event.previousEventId === undefined ? undefined : stateOf.get(event.previousEventId);
      const entry = state === undefined ? undefined : entries.get(state);
      if (entry && /(Failed|TimedOut)$/.test(event.type) && !event.type.startsWith('Execution')) entry.failed = true;
      if (entry && /Scheduled$/.test(event.type)) {
        entry.scheduled += 1;
        if (entry.scheduled > 1) {
          entry.failed = false;
          retried.set(state!, (retried.get(state!) ?? 0) + 1);
        }
      }
    }
    if (state !== undefined) stateOf.set(event.id, state);
  }
  for (const [name, entry] of entries) {
    const lane = lanes.get(name) ?? 'forward';
    if (!entry.exited) marks.set(name, running && !entry.failed ? 'running' : 'failed');
    else if (entry.failed) marks.set(name, 'caught');
    else marks.set(name, lane === 'failure' ? 'compensating' : 'succeeded');
  }
  // A Fail state the execution ended in is a failure, though it "exited".
  const last = events.at(-1);
  if (last?.type === 'ExecutionFailed' && last.previousEventId !== undefined) {
    const state = stateOf.get(last.previousEventId);
    if (state !== undefined && marks.get(state) !== 'caught') marks.set(state, 'failed');
  }
  return { marks, retried, stateOf, transitions };
}
