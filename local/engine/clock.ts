import { abortError } from './errors';

/**
 * The engine's time source. The engine never reads `Date.now()` or calls `setTimeout` directly: waits, retry
 * intervals and timeouts all go through the clock its caller gives it, so tests can scale or control time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's reason (or an `ExecutionInterruptedError`) as soon as
   * `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional fast path for timers the engine usually cancels (task timeouts, heartbeats): calls `callback` after `ms`
   * milliseconds unless the returned function is called first.
   * @default - built on `sleep` with an AbortController
   */
  setTimer?(ms: number, callback: () => void): () => void;
}

/** Schedules `callback` after `ms` on `clock`; returns the function that cancels it. */
export function scheduleTimer(clock: Clock, ms: number, callback: () => void): () => void {
  if (clock.setTimer) return clock.setTimer(ms, callback);
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(callback, () => undefined);
  return () => controller.abort(CANCELLED);
}

const abortPromises = new WeakMap<AbortSignal, Promise<never>>();

/** A promise that rejects (with the abort error) when `signal` aborts; one per signal, however often asked for. */
export function abortPromise(signal: AbortSignal): Promise<never> {
  let promise = abortPromises.get(signal);
  if (!promise) {
    promise = new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(abortError(signal));
      else signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
    });
    promise.catch(() => undefined);
    abortPromises.set(signal, promise);
  }
  return promise;
}


/** The reason the engine aborts a timer it no longer needs (one constant: creating errors costs time). */
export const CANCELLED: Error = new Error('timer cancelled');

/** Real time: `Date.now()` and `setTimeout`. */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  }
}

/** The default clock. */
export const realClock: Clock = new RealClock();

/**
 * A clock that only moves when told to (`advance`), for tests of retries, waits and timeouts.
 *
 * @example
 * const clock = new ManualClock(Date.parse('2024-01-01T00:00:00Z'));
 * const run = engine.startExecution({}); await clock.advance(5_000);
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly sleepers: { at: number; resolve: () => void }[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const entry = { at: this.current + Math.max(0, ms), resolve };
      const onAbort = () => {
        const i = this.sleepers.indexOf(entry);
        if (i >= 0) this.sleepers.splice(i, 1);
        reject(abortError(signal as AbortSignal));
      };
      entry.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Number of pending sleeps. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking every sleeper whose time has come (in time order), letting promises settle. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.current = Math.max(this.current, next.at);
      next.resolve();
    }
    this.current = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
