/**
 * JSONata as Step Functions evaluates it: `{% expression %}` strings, `$states` and the execution's variables as
 * bindings, and Step Functions' extra functions (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`).
 * Evaluation is asynchronous (jsonata 2.x).
 */
import { randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { hashText, partition, range, seededRandom } from './intrinsics';
import { StatesError } from './errors';

/** Whether a value is a JSONata expression string: `{% … %}`. */
export function isJsonataString(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{%') && value.endsWith('%}') && value.length >= 4;
}

/** The expression inside `{% … %}`, trimmed. */
export function jsonataBody(text: string): string {
  return text.slice(2, -2).trim();
}

/** Raised when JSONata itself fails (syntax, type or function error); the caller words the `States.*` cause. */
export class JsonataFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JsonataFailure';
  }
}

function wrapFunctionError(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err: unknown) {
    if (err instanceof StatesError) throw new JsonataFailure(err.stateCause ?? err.message, { cause: err });
    throw err;
  }
}

function registerStepFunctionsFunctions(expression: jsonata.Expression): void {
  expression.registerFunction('partition', (array: unknown, size: unknown) => wrapFunctionError(() => partition('$partition', array, size)), '<an:a>');
  expression.registerFunction('range', (start: unknown, end: unknown, step: unknown) => wrapFunctionError(() => range('$range', start, end, step)), '<nnn:a<n>>');
  expression.registerFunction('hash', (data: unknown, algorithm: unknown) => wrapFunctionError(() => hashText('$hash', data, algorithm)), '<ss:s>');
  expression.registerFunction('random', (seed?: unknown) => (typeof seed === 'number' ? seededRandom(seed)() : Math.random()), '<n?:n>');
  expression.registerFunction('uuid', () => randomUUID(), '<:s>');
  expression.registerFunction('parse', (text: unknown) => {
    if (typeof text !== 'string') throw new JsonataFailure('$parse expects a string argument');
    try {
      return JSON.parse(text) as unknown;
    } catch (err: unknown) {
      throw new JsonataFailure(`$parse could not parse the string as JSON: ${text}`, { cause: err });
    }
  }, '<s:x>');
}

const cache = new Map<string, jsonata.Expression>();

function compile(body: string): jsonata.Expression {
  let expression = cache.get(body);
  if (!expression) {
    try {
      expression = jsonata(body);
    } catch (err: unknown) {
      throw new JsonataFailure(jsonataMessage(err), { cause: err });
    }
    registerStepFunctionsFunctions(expression);
    if (cache.size > 5_000) cache.clear();
    cache.set(body, expression);
  }
  return expression;
}

function jsonataMessage(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const message = typeof e.message === 'string' ? e.message : (JSON.stringify(err) ?? 'unknown error');
    return typeof e.code === 'string' ? `${e.code}: ${message}` : message;
  }
  return JSON.stringify(err) ?? 'unknown error';
}

/** Turns JSONata's result (sequences, functions, undefined members) into plain JSON; `undefined` stays undefined. */
export function toPlainJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return undefined;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Evaluates a JSONata expression body with `input` as `$` and `bindings` as `$name` variables (`states` included).
 * Returns `undefined` when the expression returns nothing; throws `JsonataFailure` when JSONata fails.
 */
export async function evaluateJsonata(body: string, input: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  const expression = compile(body);
  try {
    const result = (await expression.evaluate(input, bindings)) as unknown;
    return toPlainJson(result);
  } catch (err: unknown) {
    if (err instanceof JsonataFailure) throw err;
    throw new JsonataFailure(jsonataMessage(err), { cause: err });
  }
}
