/**
 * One run of one state: its input, its place in the history, and the data processing both query languages apply
 * (InputPath/Parameters/ResultSelector/ResultPath/OutputPath, Arguments/Output, Assign, `$states`, `$$`).
 */
import {
  DataLimitExceededError,
  QueryEvaluationError,
  ResultPathMatchFailureError,
  StatesError,
  StatesRuntimeError,
} from './errors';
import type { ExecutionServices, Frame } from './execution-services';
import { historyJson } from './history';
import { jsonByteSize, jsonSizeBound, rememberBound } from './json-size';
import { evaluateIntrinsic, isIntrinsic } from './intrinsics';
import { evaluateJsonata, isJsonataString, JsonataFailure, jsonataBody } from './jsonata';
import { normalizedPath, queryJsonPath, setAtReferencePath } from './jsonpath';
import { isJsonObject, type JsonObject, type QueryLanguage, type StateDefinition } from './types';

/** AWS's payload limit: 256 KiB of UTF-8. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** What `$states` holds for a JSONata evaluation. */
export interface StatesBinding {
  readonly input: unknown;
  readonly result?: unknown;
  readonly errorOutput?: unknown;
}

/** What `lookupPath` returns when a definite path selects nothing. */
export const MISSING: unique symbol = Symbol('missing');

const VARIABLE_PATH = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

/** Errors already recorded as `EvaluationFailed` (so an enclosing Map or Parallel does not record them again). */
const recordedEvaluationFailures = new WeakSet<StatesError>();

/** One run of one state. */
export class StateRun {
  /** Retries so far (`$$.State.RetryCount`). */
  retryCount = 0;

  /** `$$.Task.Token` of a `.waitForTaskToken` Task. */
  taskToken: string | undefined;

  constructor(
    readonly services: ExecutionServices,
    readonly frame: Frame,
    readonly name: string,
    readonly def: StateDefinition,
    readonly input: unknown,
    readonly enteredEventId: number,
    readonly enteredTime: number,
  ) {}

  /** The state's query language (its own, else its state machine's). */
  get language(): QueryLanguage {
    return this.def.QueryLanguage ?? this.frame.queryLanguage;
  }

  /** The signal that aborts this state's work. */
  get signal(): AbortSignal {
    return this.frame.signal;
  }

  /** `An error occurred while executing the state 'X' (entered at the event id #N).` */
  errorPrefix(): string {
    return `An error occurred while executing the state '${this.name}' (entered at the event id #${this.enteredEventId}).`;
  }

  /** The context object `$$` / `$states.context`. */
  contextObject(mapItem?: { readonly Index: number; readonly Value: unknown }): JsonObject {
    if (!mapItem && this.cachedContext && this.cachedContextRetry === this.retryCount && this.cachedToken === this.taskToken) {
      return this.cachedContext;
    }
    const context = this.buildContext(mapItem);
    if (!mapItem) {
      this.cachedContext = context;
      this.cachedContextRetry = this.retryCount;
      this.cachedToken = this.taskToken;
    }
    return context;
  }

  private cachedContext: JsonObject | undefined;
  private cachedContextRetry = 0;
  private cachedToken: string | undefined;

  private buildContext(mapItem?: { readonly Index: number; readonly Value: unknown }): JsonObject {
    const item = mapItem ?? this.frame.mapItem;
    const context: JsonObject = {
      Execution: this.services.contextBase.Execution,
      State: { EnteredTime: new Date(this.enteredTime).toISOString(), Name: this.name, RetryCount: this.retryCount },
      StateMachine: this.services.contextBase.StateMachine,
    };
    if (item) context.Map = { Item: { Index: item.Index, Value: item.Value } };
    if (this.taskToken !== undefined) context.Task = { Token: this.taskToken };
    return context;
  }

  // ---------------------------------------------------------------- JSONPath

  /**
   * Resolves a path against `data` (`$…`), the context object (`$$…`) or a variable (`$name…`). `onMissing` builds the
   * error for a definite path that selects nothing.
   */
  resolvePath(path: string, data: unknown, onMissing: () => StatesError, context?: JsonObject): unknown {
    const value = this.lookupPath(path, data, context);
    if (value === MISSING) throw onMissing();
    return value;
  }

  /** Like `resolvePath`, but returns `MISSING` when a definite path selects nothing. */
  lookupPath(path: string, data: unknown, context?: JsonObject): unknown {
    if (path.charCodeAt(1) === 36 /* $$ */) {
      const result = queryJsonPath(path.slice(1), context ?? this.contextObject());
      return result.found ? result.value : MISSING;
    }
    const variable = path.length > 1 && path[1] !== '.' && path[1] !== '[' ? VARIABLE_PATH.exec(path) : null;
    if (variable) {
      const [, name, rest] = variable;
      if (!this.frame.scope.has(name)) return MISSING;
      const result = queryJsonPath(`$${rest}`, this.frame.scope.get(name));
      return result.found ? result.value : MISSING;
    }
    const result = queryJsonPath(path, data);
    return result.found ? result.value : MISSING;
  }

  private invalidPath(path: string): StatesError {
    return new StatesRuntimeError(`${this.errorPrefix()} Invalid path '${path}' : No results for path: ${normalizedPath(path)}`);
  }

  /** Applies InputPath (`null` gives `{}`). */
  applyInputPath(value: unknown): unknown {
    const path = this.def.InputPath;
    if (path === null) return {};
    if (path === undefined || path === '$') return value;
    const selected = this.lookupPath(path, value);
    if (selected === MISSING) throw this.invalidPath(path);
    return selected;
  }

  /** Applies OutputPath (`null` gives `{}`). */
  applyOutputPath(value: unknown): unknown {
    const path = this.def.OutputPath;
    if (path === null) return {};
    if (path === undefined || path === '$') return value;
    const selected = this.lookupPath(path, value);
    if (selected === MISSING) throw this.invalidPath(path);
    return selected;
  }

  /** Places `result` into `rawInput` at ResultPath (`null` keeps the input; default `$` replaces it). */
  applyResultPath(rawInput: unknown, result: unknown, path: string | null | undefined): unknown {
    if (path === null) return rawInput;
    if (path === undefined || path === '$') return result;
    const applied = setAtReferencePath(rawInput, path, result);
    if (!applied.ok) {
      throw new ResultPathMatchFailureError(
        `${this.errorPrefix()} Unable to apply ResultPath '${path}' to input '${historyJson(rawInput)}'.`,
      );
    }
    return applied.value;
  }

  /**
   * Resolves a payload template (Parameters, ItemSelector, ResultSelector, Assign): keys ending in `.$` take the
   * value of a path or intrinsic function evaluated against `data`.
   */
  /**
   * What a Task or Parallel state works on: its `Arguments` (JSONata) or `Parameters` after `InputPath` (JSONPath),
   * or else its input.
   */
  argumentsOrParameters(): Promise<unknown> {
    const def = this.def;
    if (this.language === 'JSONata') {
      return def.Arguments !== undefined ? this.evaluateField(def.Arguments, 'Arguments', { input: this.input }) : Promise.resolve(this.input);
    }
    return Promise.resolve(def.Parameters !== undefined ? this.resolvePayload(def.Parameters, this.applyInputPath(this.input)) : this.applyInputPath(this.input));
  }

  resolvePayload(template: unknown, data: unknown, context?: JsonObject): unknown {
    if (Array.isArray(template)) return template.map((item) => this.resolvePayload(item, data, context));
    if (!isJsonObject(template)) return template;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(template)) {
      if (key.endsWith('.$') && typeof value === 'string') {
        out[key.slice(0, -2)] = this.resolveValueExpression(value, key, data, context);
      } else {
        out[key] = this.resolvePayload(value, data, context);
      }
    }
    return out;
  }

  /** Evaluates a `.$` value: an intrinsic function or a path. */
  resolveValueExpression(expression: string, field: string, data: unknown, context?: JsonObject): unknown {
    if (isIntrinsic(expression)) {
      try {
        return evaluateIntrinsic(expression, (path) => {
          const value = this.lookupPath(path, data, context);
          if (value === MISSING) throw this.fieldPathNotFound(path, field, data);
          return value;
        });
      } catch (err: unknown) {
        if (err instanceof StatesError && err.name === 'States.IntrinsicFailure' && !err.message.startsWith('An error')) {
          throw new StatesError('States.IntrinsicFailure', `${this.errorPrefix()} ${err.stateCause ?? err.message}`, { cause: err });
        }
        throw err;
      }
    }
    const value = this.lookupPath(expression, data, context);
    if (value === MISSING) throw this.fieldPathNotFound(expression, field, data);
    return value;
  }

  private fieldPathNotFound(path: string, field: string, data: unknown): StatesError {
    return new StatesRuntimeError(
      `${this.errorPrefix()} The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${historyJson(data)}'`,
    );
  }

  /** Evaluates a JSONPath-state Assign against `data`; returns the values to assign (not yet assigned). */
  resolveAssignJsonPath(data: unknown): JsonObject | undefined {
    const assign = this.def.Assign;
    if (!assign) return undefined;
    return this.resolvePayload(assign, data) as JsonObject;
  }

  // ---------------------------------------------------------------- JSONata

  /** The bindings of a JSONata evaluation: `$states` and every visible variable. */
  jsonataBindings(states: StatesBinding, context?: JsonObject): Record<string, unknown> {
    return { ...this.frame.scope.all(), states: { ...states, context: context ?? this.contextObject() } };
  }

  /**
   * Evaluates a field's value: `{% … %}` strings are JSONata, objects and arrays are walked, everything else is a
   * literal. `field` names the field in error messages (`Output/result`).
   */
  async evaluateField(value: unknown, field: string, states: StatesBinding, bindings?: Record<string, unknown>): Promise<unknown> {
    const scope = bindings ?? this.jsonataBindings(states);
    if (isJsonataString(value)) return this.evaluateExpression(value, field, states, scope);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i += 1) out.push(await this.evaluateField(value[i], `${field}/${i}`, states, scope));
      return out;
    }
    if (isJsonObject(value)) {
      const out: JsonObject = {};
      for (const [key, item] of Object.entries(value)) out[key] = await this.evaluateField(item, `${field}/${key}`, states, scope);
      return out;
    }
    return value;
  }

  /** Evaluates one `{% … %}` string; nothing (undefined) is an error. */
  async evaluateExpression(text: string, field: string, states: StatesBinding, bindings?: Record<string, unknown>): Promise<unknown> {
    const body = jsonataBody(text);
    let result: unknown;
    try {
      result = await evaluateJsonata(body, states.input, bindings ?? this.jsonataBindings(states));
    } catch (err: unknown) {
      if (err instanceof JsonataFailure) {
        throw new QueryEvaluationError(
          `${this.errorPrefix()} The JSONata expression '${body}' specified for the field '${field}' threw an error during evaluation. ${err.message}`,
          { cause: err, location: field },
        );
      }
      throw err;
    }
    if (result === undefined) {
      throw new QueryEvaluationError(
        `${this.errorPrefix()} The JSONata expression '${body}' specified for the field '${field}' returned nothing (undefined).`,
        { location: field },
      );
    }
    return result;
  }

  /** Evaluates a JSONata-state Assign; returns the values to assign (not yet assigned). */
  async resolveAssignJsonata(assign: Readonly<Record<string, unknown>> | undefined, states: StatesBinding): Promise<JsonObject | undefined> {
    if (!assign) return undefined;
    return (await this.evaluateField(assign, 'Assign', states)) as JsonObject;
  }

  // ---------------------------------------------------------------- both

  /**
   * Finishes a state that produced `result` from raw input `rawInput`: JSONPath applies ResultSelector, Assign,
   * ResultPath and OutputPath; JSONata evaluates Assign and Output (default: the result).
   */
  async finish(rawInput: unknown, result: unknown, opts: { resultSelector?: boolean; resultPath?: boolean } = {}): Promise<{ output: unknown; assigned?: JsonObject }> {
    if (this.language === 'JSONata') {
      const states: StatesBinding = { input: rawInput, result };
      const assigned = await this.resolveAssignJsonata(this.def.Assign, states);
      const output = 'Output' in this.def ? await this.evaluateField(this.def.Output, 'Output', states) : result;
      return this.commit(output, assigned);
    }
    let selected = result;
    if (opts.resultSelector && this.def.ResultSelector !== undefined) selected = this.resolvePayload(this.def.ResultSelector, result);
    const assigned = this.resolveAssignJsonPath(selected);
    const resultPath = this.def.ResultPath;
    const withResult = opts.resultPath === false ? selected : this.applyResultPath(rawInput, selected, resultPath);
    const output = this.applyOutputPath(withResult);
    // The output is (part of) the input with the result placed in it: bounded by the sum of their sizes.
    const bound =
      resultPath === null
        ? jsonSizeBound(rawInput)
        : resultPath === undefined || resultPath === '$' || opts.resultPath === false
          ? jsonSizeBound(selected)
          : jsonSizeBound(rawInput) + jsonSizeBound(selected) + resultPath.length * 6 + 16;
    return this.commit(output, assigned, bound);
  }

  /**
   * Checks the output's size (`bound`: a known upper bound of it, e.g. because the output is part of the input), then
   * assigns the variables.
   */
  commit(output: unknown, assigned: JsonObject | undefined, bound?: number): { output: unknown; assigned?: JsonObject } {
    if (bound !== undefined && bound <= MAX_PAYLOAD_BYTES) rememberBound(output, bound);
    else this.checkSize(output);
    if (assigned) this.frame.scope.assign(assigned);
    return { output, assigned };
  }

  /** Fails with States.DataLimitExceeded when `value` is over 256 KiB. */
  checkSize(value: unknown): void {
    if (jsonSizeBound(value) > MAX_PAYLOAD_BYTES && jsonByteSize(value) > MAX_PAYLOAD_BYTES) {
      throw new DataLimitExceededError(
        `The state/task '${this.name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      );
    }
  }

  /** Records an `EvaluationFailed` event for a JSONata error of this state (once). */
  recordEvaluationFailed(err: StatesError): void {
    if (recordedEvaluationFailures.has(err)) return;
    recordedEvaluationFailures.add(err);
    this.frame.recorder.add(this.frame.cursor, 'EvaluationFailed', {
      evaluationFailedEventDetails: {
        error: err.name,
        cause: err.stateCause,
        ...(err instanceof QueryEvaluationError && err.location !== undefined ? { location: err.location } : {}),
        state: this.name,
      },
    });
  }
}
