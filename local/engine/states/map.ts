import { randomUUID } from 'node:crypto';
import {
  abortError,
  BranchAbortedError,
  ExceedToleratedFailureThresholdError,
  QueryEvaluationError,
  StatesError,
  StatesRuntimeError,
} from '../errors';
import { HistoryCursor, HistoryRecorder, historyJson } from '../history';
import { isJsonataString, jsonataBody } from '../jsonata';
import { normalizedPath } from '../jsonpath';
import { withRetryAndCatch } from '../retry';
import type { StateRun } from '../state-run';
import type { JsonObject, ProcessorDefinition, StateOutcome } from '../types';
import { defaultNext } from './next';

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function quoted(value: unknown): string {
  return `"${typeof value === 'string' ? value : JSON.stringify(value)}"`;
}

async function readItems(run: StateRun): Promise<{ items: unknown[]; selectorInput: unknown }> {
  const def = run.def;
  if (run.language === 'JSONata') {
    if (def.Items === undefined) {
      if (!Array.isArray(run.input)) {
        throw new QueryEvaluationError(`${run.errorPrefix()} Map state input must be an array but was: ${historyJson(run.input)}`);
      }
      return { items: run.input as unknown[], selectorInput: run.input };
    }
    const items = await run.evaluateField(def.Items, 'Items', { input: run.input });
    if (!Array.isArray(items)) {
      const body = isJsonataString(def.Items) ? jsonataBody(def.Items) : historyJson(def.Items);
      throw new QueryEvaluationError(
        `${run.errorPrefix()} The JSONata expression '${body}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonType(items)}' for value: ${historyJson(items)}`,
      );
    }
    return { items: items as unknown[], selectorInput: run.input };
  }
  const effective = run.applyInputPath(run.input);
  const path = def.ItemsPath ?? '$';
  const items = path === '$' ? effective : run.resolvePath(path, effective, () =>
    new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${path}' : No results for path: ${normalizedPath(path)}`),
  );
  if (!Array.isArray(items)) {
    throw new StatesRuntimeError(`${run.errorPrefix()} Map state input must be an array but was: ${historyJson(items)}`);
  }
  return { items: items as unknown[], selectorInput: effective };
}

interface MapConfig {
  readonly maxConcurrency: number;
  readonly toleratedCount: number | undefined;
  readonly toleratedPercentage: number | undefined;
}

async function numberField(
  run: StateRun,
  input: unknown,
  field: string,
  value: unknown,
  path: string | undefined,
  kind: 'integer' | 'float',
): Promise<number | undefined> {
  let resolved = value;
  if (path !== undefined) {
    resolved = run.resolvePath(path, input, () =>
      new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${path}' : No results for path: ${normalizedPath(path)}`),
    );
    const ok = typeof resolved === 'number' && (kind === 'float' || Number.isInteger(resolved));
    if (!ok) {
      throw new StatesRuntimeError(
        `${run.errorPrefix()} The ${field}Path field refers to value ${quoted(resolved)} which is not a valid ${kind}: ${path}`,
      );
    }
    return resolved as number;
  }
  if (resolved === undefined) return undefined;
  if (isJsonataString(resolved)) resolved = await run.evaluateExpression(resolved, field, { input: run.input });
  const ok = typeof resolved === 'number' && (kind === 'float' || Number.isInteger(resolved));
  if (!ok) {
    const message = `${run.errorPrefix()} The ${field} field refers to value ${quoted(resolved)} which is not a valid ${kind}.`;
    throw run.language === 'JSONata' ? new QueryEvaluationError(message) : new StatesRuntimeError(message);
  }
  return resolved as number;
}

/** MaxConcurrency, evaluated (as AWS does) before the items; a path's value may be a numeric string. */
async function readMaxConcurrency(run: StateRun): Promise<number> {
  const def = run.def;
  if (def.MaxConcurrencyPath !== undefined) {
    const path = def.MaxConcurrencyPath;
    let value = run.resolvePath(path, run.applyInputPath(run.input), () =>
      new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${path}' : No results for path: ${normalizedPath(path)}`),
    );
    if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) value = Number(value);
    if (typeof value === 'number' && Number.isFinite(value)) value = Math.trunc(value);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new StatesRuntimeError(`${run.errorPrefix()} The MaxConcurrencyPath field refers to value ${quoted(value)} which is not a valid integer: ${path}`);
    }
    if (value < 0) throw new StatesRuntimeError(`${run.errorPrefix()} Expected non-negative integer for MaxConcurrency, got '${value}' instead.`);
    return value;
  }
  let value: unknown = def.MaxConcurrency;
  if (value === undefined) return 0;
  if (isJsonataString(value)) value = await run.evaluateExpression(value, 'MaxConcurrency', { input: run.input });
  if (typeof value === 'number' && Number.isFinite(value)) value = Math.trunc(value);
  if (typeof value !== 'number' || value < 0) {
    const message = `${run.errorPrefix()} Expected non-negative integer for MaxConcurrency, got '${typeof value === 'string' ? value : JSON.stringify(value)}' instead.`;
    throw run.language === 'JSONata' ? new QueryEvaluationError(message) : new StatesRuntimeError(message);
  }
  return value;
}

async function readTolerance(run: StateRun, input: unknown, maxConcurrency: number): Promise<MapConfig> {
  const def = run.def;
  const toleratedPercentage = await numberField(
    run, input, 'ToleratedFailurePercentage', def.ToleratedFailurePercentage, def.ToleratedFailurePercentagePath, 'float',
  );
  if (toleratedPercentage !== undefined && (toleratedPercentage < 0 || toleratedPercentage > 100)) {
    throw new StatesRuntimeError(`${run.errorPrefix()} ToleratedFailurePercentage must be between 0 and 100.`);
  }
  const toleratedCount = await numberField(run, input, 'ToleratedFailureCount', def.ToleratedFailureCount, def.ToleratedFailureCountPath, 'integer');
  if (toleratedCount !== undefined && toleratedCount < 0) {
    throw new StatesRuntimeError(`${run.errorPrefix()} ToleratedFailureCount cannot be negative.`);
  }
  return { maxConcurrency, toleratedCount, toleratedPercentage };
}

async function iterationInputs(run: StateRun, items: unknown[], selectorInput: unknown): Promise<unknown[]> {
  const def = run.def;
  const selector = def.ItemSelector ?? (run.language === 'JSONPath' ? def.Parameters : undefined);
  const selected: unknown[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const item = { Index: index, Value: items[index] };
    if (selector === undefined) selected.push(items[index]);
    else if (run.language === 'JSONata') {
      const states = { input: run.input };
      const bindings = run.jsonataBindings(states, run.contextObject(item));
      selected.push(await run.evaluateField(selector, 'ItemSelector', states, bindings));
    } else selected.push(run.resolvePayload(selector, selectorInput, run.contextObject(item)));
  }
  const batcher = def.ItemBatcher;
  if (!batcher) return selected;
  const maxItems = await numberField(run, selectorInput, 'MaxItemsPerBatch', batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath, 'integer');
  const maxBytes = await numberField(run, selectorInput, 'MaxInputBytesPerBatch', batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath, 'integer');
  let batchInput: unknown;
  if (batcher.BatchInput !== undefined) {
    batchInput = run.language === 'JSONata'
      ? await run.evaluateField(batcher.BatchInput, 'ItemBatcher/BatchInput', { input: run.input })
      : run.resolvePayload(batcher.BatchInput, selectorInput);
  }
  const batches: JsonObject[] = [];
  let current: unknown[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    batches.push(batchInput !== undefined ? { BatchInput: batchInput, Items: current } : { Items: current });
    current = [];
    bytes = 0;
  };
  for (const item of selected) {
    const size = Buffer.byteLength(historyJson(item), 'utf8');
    if ((maxItems !== undefined && current.length >= maxItems) || (maxBytes !== undefined && current.length > 0 && bytes + size > maxBytes)) flush();
    current.push(item);
    bytes += size;
  }
  flush();
  return batches;
}

/** Whether `failures` of `total` items exceed the tolerance (none configured: any failure does). */
function exceeds(config: MapConfig, failures: number, total: number): boolean {
  if (config.toleratedCount === undefined && config.toleratedPercentage === undefined) return failures > 0;
  if (config.toleratedCount !== undefined && failures > config.toleratedCount) return true;
  return config.toleratedPercentage !== undefined && total > 0 && (failures * 100) / total > config.toleratedPercentage;
}

async function runIterations(
  run: StateRun,
  processor: ProcessorDefinition,
  inputs: unknown[],
  config: MapConfig,
  startedId: number,
  distributed: boolean,
): Promise<unknown[]> {
  const recorder = run.frame.recorder;
  const clock = run.services.clock;
  const results: unknown[] = new Array<unknown>(inputs.length).fill(null);
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(run.signal.reason);
  run.signal.addEventListener('abort', onParentAbort, { once: true });
  // Inline Maps fail on their first failed iteration, with its error. A Distributed Map's run tolerates failures up
  // to its threshold (none by default) and then fails with States.ExceedToleratedFailureThreshold.
  let failures = 0;
  let fatal: Error | undefined;
  let next = 0;
  const details = (index: number) => ({ name: run.name, index });
  const worker = async () => {
    while (next < inputs.length && fatal === undefined && !controller.signal.aborted) {
      const index = next;
      next += 1;
      const frame = {
        scope: run.frame.scope.child(),
        cursor: new HistoryCursor(startedId),
        recorder: distributed ? new HistoryRecorder(() => clock.now()) : recorder,
        signal: controller.signal,
        queryLanguage: processor.QueryLanguage ?? run.frame.queryLanguage,
      };
      if (!distributed) recorder.add(frame.cursor, 'MapIterationStarted', { mapIterationStartedEventDetails: details(index) });
      try {
        results[index] = await run.services.runStates(processor, inputs[index], frame);
        if (!distributed) recorder.add(frame.cursor, 'MapIterationSucceeded', { mapIterationSucceededEventDetails: details(index) });
      } catch (err: unknown) {
        if (err instanceof BranchAbortedError) {
          if (!distributed) recorder.add(frame.cursor, 'MapIterationAborted', { mapIterationAbortedEventDetails: details(index) });
          return;
        }
        if (!(err instanceof StatesError)) {
          fatal ??= err instanceof Error ? err : new Error(String(err));
          controller.abort(fatal);
          return;
        }
        if (!distributed) recorder.add(frame.cursor, 'MapIterationFailed', { mapIterationFailedEventDetails: details(index) });
        failures += 1;
        results[index] = null;
        if (!distributed || exceeds(config, failures, inputs.length)) {
          fatal ??= distributed ? new ExceedToleratedFailureThresholdError('The specified tolerated failure threshold was exceeded') : err;
          controller.abort(new BranchAbortedError());
          return;
        }
      }
    }
  };
  try {
    const width = config.maxConcurrency > 0 ? Math.min(config.maxConcurrency, inputs.length) : inputs.length;
    await Promise.all(Array.from({ length: width }, () => worker()));
  } finally {
    run.signal.removeEventListener('abort', onParentAbort);
  }
  if (run.signal.aborted) throw abortError(run.signal);
  if (fatal !== undefined) throw fatal;
  return results;
}

/** Map: runs its ItemProcessor once per item (DISTRIBUTED runs inline, its child histories kept apart). */
export async function runMap(run: StateRun): Promise<StateOutcome> {
  const def = run.def;
  const recorder = run.frame.recorder;
  const processor = def.ItemProcessor ?? def.Iterator;
  if (!processor) throw new StatesRuntimeError(`${run.errorPrefix()} The Map state has no ItemProcessor.`);
  const distributed = processor.ProcessorConfig?.Mode === 'DISTRIBUTED';
  return withRetryAndCatch(
    run,
    async () => {
      const maxConcurrency = await readMaxConcurrency(run);
      const { items, selectorInput } = await readItems(run);
      const startedId = recorder.add(run.frame.cursor, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
      const config = await readTolerance(run, selectorInput, maxConcurrency);
      const inputs = await iterationInputs(run, items, selectorInput);
      const mapRunArn = `arn:aws:states:${run.services.region}:${run.services.accountId}:mapRun:${String(run.services.contextBase.StateMachine.Name)}/${run.name}:${randomUUID()}`;
      if (distributed) recorder.add(run.frame.cursor, 'MapRunStarted', { mapRunStartedEventDetails: { mapRunArn } });
      let results: unknown[];
      try {
        results = await runIterations(run, processor, inputs, config, startedId, distributed);
      } catch (err: unknown) {
        run.frame.cursor.last = recorder.lastId;
        if (distributed && err instanceof StatesError) {
          recorder.add(run.frame.cursor, 'MapRunFailed', { mapRunFailedEventDetails: { error: err.name, cause: err.stateCause } });
        }
        throw err;
      }
      run.frame.cursor.last = recorder.lastId;
      if (distributed) recorder.add(run.frame.cursor, 'MapRunSucceeded');
      recorder.add(run.frame.cursor, 'MapStateSucceeded');
      const done = await run.finish(run.input, results, { resultSelector: true });
      return { ...done, next: defaultNext(def) };
    },
    (err: StatesError) => {
      run.frame.cursor.last = recorder.lastId;
      if (err.name !== 'States.Runtime') recorder.add(run.frame.cursor, 'MapStateFailed');
    },
  );
}

