/** Retry and Catch: matching error names, computing AWS's backoff, and routing a failed state to its catcher. */
import { QueryEvaluationError, StatesError } from './errors';
import type { StateRun } from './state-run';
import type { Catcher, JsonObject, Retrier, StateOutcome } from './types';

/**
 * Whether an `ErrorEquals` list matches the error. `States.Runtime` is terminal (never retried or caught);
 * `States.DataLimitExceeded` only by its own name; `States.ALL` matches every other error; `States.TaskFailed` every
 * error except `States.Timeout`.
 */
export function errorMatches(errorEquals: readonly string[], error: StatesError): boolean {
  const name = error.name;
  if (name === 'States.Runtime') return false;
  for (const candidate of errorEquals) {
    if (candidate === name && error.hasName) return true;
    if (name === 'States.DataLimitExceeded') continue;
    if (candidate === 'States.ALL') return true;
    if (candidate === 'States.TaskFailed' && name !== 'States.Timeout') return true;
  }
  return false;
}

/** The delay AWS waits before retry number `attempt` (1-based), in milliseconds, jitter included. */
export function retryDelayMs(retrier: Retrier, attempt: number, random: () => number = Math.random): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  let seconds = interval * Math.pow(backoff, attempt - 1);
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds = random() * seconds;
  return seconds * 1000;
}

/** The error output a catcher receives: `{ Error, Cause }`. */
export function errorOutput(error: StatesError): JsonObject {
  const out: JsonObject = {};
  if (error.hasName) out.Error = error.name;
  if (error.stateCause !== undefined) out.Cause = error.stateCause;
  return out;
}

/**
 * Runs `attempt` under the state's Retry and Catch. `onGiveUp` runs once the error is final (before a catcher routes
 * it), e.g. to record `MapStateFailed`.
 */
export async function withRetryAndCatch(
  run: StateRun,
  attempt: () => Promise<StateOutcome>,
  onGiveUp: (error: StatesError) => void = () => undefined,
): Promise<StateOutcome> {
  const retriers = run.def.Retry ?? [];
  const counts = retriers.map(() => 0);
  for (;;) {
    try {
      return await attempt();
    } catch (err: unknown) {
      if (!(err instanceof StatesError)) throw err;
      if (err instanceof QueryEvaluationError) run.recordEvaluationFailed(err);
      const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, err));
      if (index >= 0) {
        const retrier = retriers[index];
        const maxAttempts = retrier.MaxAttempts ?? 3;
        if (counts[index] < maxAttempts) {
          counts[index] += 1;
          const computedMs = retryDelayMs(retrier, counts[index]);
          const override = run.services.retryDelay;
          const ms = override
            ? override({ stateName: run.name, error: err.name, attempt: counts[index], computedMs })
            : computedMs * run.services.timeScale;
          await run.services.clock.sleep(ms, run.signal);
          run.retryCount += 1;
          run.services.countRetry();
          continue;
        }
      }
      onGiveUp(err);
      const catcher = (run.def.Catch ?? []).find((c) => errorMatches(c.ErrorEquals, err));
      if (!catcher) throw err;
      return routeToCatcher(run, catcher, err);
    }
  }
}

async function routeToCatcher(run: StateRun, catcher: Catcher, error: StatesError): Promise<StateOutcome> {
  const errOut = errorOutput(error);
  if (run.language === 'JSONata') {
    const states = { input: run.input, errorOutput: errOut };
    const assigned = await run.resolveAssignJsonata(catcher.Assign, states);
    const output = 'Output' in catcher ? await run.evaluateField(catcher.Output, 'Output', states) : errOut;
    const committed = run.commit(output, assigned);
    return { output: committed.output, next: catcher.Next, assigned };
  }
  const assigned = catcher.Assign ? (run.resolvePayload(catcher.Assign, errOut) as JsonObject) : undefined;
  const output = run.applyResultPath(run.input, errOut, catcher.ResultPath);
  const committed = run.commit(output, assigned);
  return { output: committed.output, next: catcher.Next, assigned };
}
