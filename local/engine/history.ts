/**
 * Execution history shaped like Step Functions' `GetExecutionHistory`: `{ timestamp, type, id, previousEventId,
 * <x>EventDetails }`, recorded as the engine runs.
 */

/** One history event, with AWS's type names and detail fields. */
export interface HistoryEvent {
  readonly timestamp: Date;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: string]: unknown;
}

/** Where a line of events (the execution, a Parallel branch, a Map iteration) last wrote: its `previousEventId`. */
export class HistoryCursor {
  constructor(public last: number) {}
}

/** Collects the events of one execution, numbering them from 1. */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];

  private closed = false;

  constructor(private readonly now: () => number) {}

  /** Records the execution's last event and closes the history. */
  close(cursor: HistoryCursor, type: string, details: Record<string, unknown> = {}): void {
    this.add(cursor, type, details);
    this.closed = true;
  }

  /** The id of the last event recorded (0 before the first). */
  get lastId(): number {
    return this.events.length;
  }

  /**
   * Records one event after `cursor.last` (moving the cursor), and returns its id.
   *
   * @param details - e.g. `{ stateEnteredEventDetails: { name, input } }`
   */
  add(cursor: HistoryCursor, type: string, details: Record<string, unknown> = {}): number {
    // After the execution's last event, work still unwinding (an aborted branch) records nothing more.
    if (this.closed) return this.events.length;
    const id = this.events.length + 1;
    this.events.push({ timestamp: new Date(this.now()), type, id, previousEventId: cursor.last, ...details });
    cursor.last = id;
    return id;
  }
}

/** JSON text of a value as the history stores it (`null` for undefined). */
export function historyJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

const VALUES = Symbol('values');
const TEXTS = Symbol('texts');
type Lazy = Record<string | symbol, unknown> & { [VALUES]: Record<string, unknown>; [TEXTS]: Record<string, string> };
type LazyClass = new (fields: Record<string, unknown>, values: Record<string, unknown>) => Record<string, unknown>;
const lazyClasses = new Map<string, LazyClass>();

function lazyClass(keys: readonly string[]): LazyClass {
  const id = keys.join('\u0000');
  let cls = lazyClasses.get(id);
  if (cls) return cls;
  class LazyDetails {
    constructor(fields: Record<string, unknown>, values: Record<string, unknown>) {
      Object.assign(this, fields);
      (this as unknown as Lazy)[VALUES] = values;
      (this as unknown as Lazy)[TEXTS] = {};
    }

    toJSON(): Record<string, unknown> {
      const out: Record<string, unknown> = { ...(this as unknown as Record<string, unknown>) };
      for (const key of keys) out[key] = (this as unknown as Record<string, unknown>)[key];
      return out;
    }
  }
  for (const key of keys) {
    Object.defineProperty(LazyDetails.prototype, key, {
      enumerable: true,
      get(this: Lazy): string {
        return (this[TEXTS][key] ??= historyJson(this[VALUES][key]));
      },
    });
  }
  cls = LazyDetails as unknown as LazyClass;
  lazyClasses.set(id, cls);
  return cls;
}

/**
 * Event details whose `json` fields are JSON text computed on first read (most histories are never read, and
 * serialising every state's input and output would dominate the engine's time). `JSON.stringify` gives every field.
 * The values must not be mutated afterwards: the engine never mutates a value in place, and task handlers must not
 * mutate their input.
 */
export function lazyDetails(fields: Record<string, unknown>, json: Record<string, unknown>): Record<string, unknown> {
  const Cls = lazyClass(Object.keys(json));
  return new Cls(fields, json);
}
