import { StatesError, StatesRuntimeError } from '../errors';
import { historyJson } from '../history';
import { isIntrinsic } from '../intrinsics';
import type { StateRun } from '../state-run';
import type { StateOutcome } from '../types';

function stringOrUndefined(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function jsonataText(run: StateRun, value: unknown, field: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  return stringOrUndefined(await run.evaluateField(value, field, { input: run.input }));
}

function pathText(run: StateRun, literal: unknown, path: string | undefined, field: string): string | undefined {
  if (path === undefined) return stringOrUndefined(literal);
  if (isIntrinsic(path)) return stringOrUndefined(run.resolveValueExpression(path, field, run.input));
  const value = run.resolvePath(path, run.input, () =>
    new StatesRuntimeError(
      `${run.errorPrefix()} The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${historyJson(run.input)}'`,
    ),
  );
  return stringOrUndefined(value);
}

/** Fail: fails its branch with Error and Cause (literal, path, intrinsic function or JSONata). */
export async function runFail(run: StateRun): Promise<StateOutcome> {
  const def = run.def;
  let error: string | undefined;
  let cause: string | undefined;
  if (run.language === 'JSONata') {
    error = await jsonataText(run, def.Error, 'Error');
    cause = await jsonataText(run, def.Cause, 'Cause');
  } else {
    error = pathText(run, def.Error, def.ErrorPath, 'ErrorPath');
    cause = pathText(run, def.Cause, def.CausePath, 'CausePath');
  }
  throw new StatesError(error, cause);
}
