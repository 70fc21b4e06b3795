import { QueryEvaluationError, StatesRuntimeError } from '../errors';
import { parseTimestamp } from '../choice-rules';
import { isJsonataString } from '../jsonata';
import { jsonSizeBound } from '../json-size';
import type { StateRun } from '../state-run';
import type { StateOutcome } from '../types';
import { defaultNext } from './next';

function render(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function untilJsonata(run: StateRun): Promise<number> {
  const def = run.def;
  const states = { input: run.input };
  if (def.Seconds !== undefined) {
    const seconds = isJsonataString(def.Seconds) ? await run.evaluateExpression(def.Seconds, 'Seconds', states) : def.Seconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new QueryEvaluationError(`${run.errorPrefix()} The Seconds field cannot be parsed as a non-negative integer value: ${render(seconds)}`);
    }
    return run.services.clock.now() + seconds * 1000;
  }
  const stamp = isJsonataString(def.Timestamp) ? await run.evaluateExpression(def.Timestamp, 'Timestamp', states) : def.Timestamp;
  const at = parseTimestamp(stamp);
  if (at === undefined) {
    throw new QueryEvaluationError(
      `${run.errorPrefix()} The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${render(stamp)}`,
    );
  }
  return at;
}

function untilJsonPath(run: StateRun, input: unknown): number {
  const def = run.def;
  const now = run.services.clock.now();
  if (def.Seconds !== undefined) return now + Number(def.Seconds) * 1000;
  if (def.SecondsPath !== undefined) {
    const path = def.SecondsPath;
    const value = run.resolvePath(path, input, () =>
      new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${path}' : The SecondsPath parameter does not reference a valid value.`),
    );
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new StatesRuntimeError(`${run.errorPrefix()} The SecondsPath parameter cannot be parsed as a long value: ${path} == ${render(value)}`);
    }
    if (value < 0) {
      throw new StatesRuntimeError(`${run.errorPrefix()} The SecondsPath parameter references a negative value: ${path} == ${render(value)}`);
    }
    return now + value * 1000;
  }
  if (def.TimestampPath !== undefined) {
    const path = def.TimestampPath;
    const value = run.resolvePath(path, input, () =>
      new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${path}' : The TimestampPath parameter does not reference a valid value.`),
    );
    const at = parseTimestamp(value);
    if (at === undefined) {
      throw new StatesRuntimeError(
        `${run.errorPrefix()} The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${path} == ${render(value)}`,
      );
    }
    return at;
  }
  const at = parseTimestamp(def.Timestamp);
  if (at === undefined) {
    throw new StatesRuntimeError(`${run.errorPrefix()} The Timestamp field is not a valid ISO-8601 extended offset date-time: ${render(def.Timestamp)}`);
  }
  return at;
}

/** Wait: sleeps (on the engine's clock, scaled) for Seconds or until Timestamp. */
export async function runWait(run: StateRun): Promise<StateOutcome> {
  const jsonata = run.language === 'JSONata';
  const effective = jsonata ? run.input : run.applyInputPath(run.input);
  const until = jsonata ? await untilJsonata(run) : untilJsonPath(run, effective);
  const clock = run.services.clock;
  const ms = (until - clock.now()) * run.services.timeScale;
  if (ms > 0) await clock.sleep(ms, run.signal);
  if (jsonata) {
    const done = await run.finish(run.input, run.input);
    return { ...done, next: defaultNext(run.def) };
  }
  const output = run.applyOutputPath(effective);
  return { ...run.commit(output, run.resolveAssignJsonPath(effective), jsonSizeBound(run.input)), next: defaultNext(run.def) };
}
