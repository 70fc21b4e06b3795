/**
 * Step Functions' intrinsic functions (`States.Format(...)`, `States.Array(...)`, …) for JSONPath states: a parser
 * for the call syntax and an evaluator. Paths inside arguments are resolved by the caller's `resolvePath`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { IntrinsicFailureError } from './errors';

/** A parsed intrinsic-function argument. */
export type IntrinsicArg =
  | { readonly kind: 'literal'; readonly value: unknown; readonly template?: string }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'call'; readonly call: IntrinsicCall };

/** A parsed call: `States.<name>(args…)`. */
export interface IntrinsicCall {
  readonly name: string;
  readonly args: readonly IntrinsicArg[];
}

/** Whether a string is an intrinsic function call (starts with `States.` and a name followed by `(`). */
export function isIntrinsic(text: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(text);
}

const parseCache = new Map<string, IntrinsicCall>();

/** Parses an intrinsic-function call; throws an `IntrinsicFailureError` on bad syntax. */
export function parseIntrinsic(text: string): IntrinsicCall {
  const cached = parseCache.get(text);
  if (cached) return cached;
  const parser = new Parser(text);
  const call = parser.parseCall();
  parser.skipSpace();
  if (!parser.atEnd()) throw new IntrinsicFailureError(`Invalid intrinsic function: ${text}`);
  parseCache.set(text, call);
  return call;
}

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.i >= this.text.length;
  }

  skipSpace(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i])) this.i += 1;
  }

  private fail(): never {
    throw new IntrinsicFailureError(`Invalid intrinsic function: ${this.text}`);
  }

  parseCall(): IntrinsicCall {
    this.skipSpace();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    this.skipSpace();
    if (this.text[this.i] !== '(') this.fail();
    this.i += 1;
    const args: IntrinsicArg[] = [];
    this.skipSpace();
    if (this.text[this.i] === ')') {
      this.i += 1;
      return { name: m[0], args };
    }
    for (;;) {
      args.push(this.parseArg());
      this.skipSpace();
      const ch = this.text[this.i];
      this.i += 1;
      if (ch === ')') break;
      if (ch !== ',') this.fail();
    }
    return { name: m[0], args };
  }

  private parseArg(): IntrinsicArg {
    this.skipSpace();
    const rest = this.text.slice(this.i);
    if (rest.startsWith("'")) {
      const [value, template] = this.parseString();
      return { kind: 'literal', value, template };
    }
    if (rest.startsWith('States.')) return { kind: 'call', call: this.parseCall() };
    if (rest.startsWith('$')) return { kind: 'path', path: this.parsePath() };
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (num) {
      this.i += num[0].length;
      return { kind: 'literal', value: Number(num[0]) };
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (rest.startsWith(word)) {
        this.i += word.length;
        return { kind: 'literal', value };
      }
    }
    return this.fail();
  }

  /** A string literal: its value, and its text for States.Format (which keeps `\\{` and `\\}` as literal braces). */
  private parseString(): [string, string] {
    this.i += 1;
    let out = '';
    let template = '';
    while (this.i < this.text.length) {
      const ch = this.text[this.i];
      if (ch === '\\') {
        const next = this.text[this.i + 1] ?? '';
        out += next;
        template += next === '{' || next === '}' || next === '\\' ? `\\${next}` : next;
        this.i += 2;
        continue;
      }
      if (ch === "'") {
        this.i += 1;
        return [out, template];
      }
      out += ch;
      template += ch;
      this.i += 1;
    }
    return this.fail();
  }

  private parsePath(): string {
    const start = this.i;
    let depthParen = 0;
    let depthBracket = 0;
    let quote: string | null = null;
    while (this.i < this.text.length) {
      const ch = this.text[this.i];
      if (quote) {
        if (ch === '\\') this.i += 1;
        else if (ch === quote) quote = null;
      } else if (ch === "'" || ch === '"') {
        if (depthBracket === 0 && depthParen === 0) break;
        quote = ch;
      } else if (ch === '[') depthBracket += 1;
      else if (ch === ']') depthBracket -= 1;
      else if (ch === '(') depthParen += 1;
      else if (ch === ')') {
        if (depthParen === 0 && depthBracket === 0) break;
        depthParen -= 1;
      } else if (ch === ',' && depthBracket === 0 && depthParen === 0) break;
      this.i += 1;
    }
    return this.text.slice(start, this.i).trim();
  }
}

/** Resolves a path argument (`$.x`, `$$.Execution.Input`, `$var.x`) to its value. */
export type PathResolver = (path: string) => unknown;

/** Evaluates an intrinsic-function call. */
export function evaluateIntrinsic(text: string, resolvePath: PathResolver): unknown {
  return evaluateCall(parseIntrinsic(text), resolvePath);
}

function evaluateCall(call: IntrinsicCall, resolvePath: PathResolver): unknown {
  const args = call.args.map((arg, index) => {
    if (arg.kind === 'literal') return index === 0 && call.name === 'States.Format' && arg.template !== undefined ? arg.template : arg.value;
    if (arg.kind === 'path') return resolvePath(arg.path);
    return evaluateCall(arg.call, resolvePath);
  });
  const fn = FUNCTIONS[call.name];
  if (!fn) throw new IntrinsicFailureError(`The intrinsic function ${call.name} is not supported.`);
  return fn(args, call.name);
}

type Fn = (args: unknown[], name: string) => unknown;

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new IntrinsicFailureError(`Invalid number of arguments for ${name}: expected ${min === max ? min : `${min} to ${max}`}, got ${args.length}.`);
  }
}

function expectArray(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new IntrinsicFailureError(`${name}: expected an array argument but got ${JSON.stringify(value)}.`);
  return value as unknown[];
}

function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new IntrinsicFailureError(`${name}: expected a string argument but got ${JSON.stringify(value)}.`);
  return value;
}

function expectNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new IntrinsicFailureError(`${name}: expected a number argument but got ${JSON.stringify(value)}.`);
  return value;
}

function expectInteger(name: string, value: unknown): number {
  const n = expectNumber(name, value);
  if (!Number.isInteger(n)) throw new IntrinsicFailureError(`${name}: expected an integer argument but got ${n}.`);
  return n;
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEquals(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEquals(ao[k], bo[k]));
}

/** How Step Functions renders a value inside `States.Format` (Java's `toString` of the parsed JSON). */
function formatArg(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatArg).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${formatArg(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A small seeded generator (mulberry32) for `States.MathRandom` with a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HASH_ALGORITHMS: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** Hashes a string with one of Step Functions' algorithm names (MD5, SHA-1, SHA-256, SHA-384, SHA-512). */
export function hashText(name: string, data: unknown, algorithm: unknown): string {
  const text = expectString(name, data);
  const alg = HASH_ALGORITHMS[expectString(name, algorithm)];
  if (!alg) throw new IntrinsicFailureError(`${name}: the hash algorithm ${String(algorithm)} is not supported; use one of ${Object.keys(HASH_ALGORITHMS).join(', ')}.`);
  return createHash(alg).update(text, 'utf8').digest('hex');
}

/** Splits an array into chunks of `size`. */
export function partition(name: string, array: unknown, size: unknown): unknown[][] {
  const items = expectArray(name, array);
  const n = expectInteger(name, size);
  if (n <= 0) throw new IntrinsicFailureError(`${name}: the chunk size must be greater than 0 but was ${n}.`);
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** The integers from `start` to `end` inclusive, by `step`. */
export function range(name: string, start: unknown, end: unknown, step: unknown): number[] {
  const a = expectInteger(name, start);
  const b = expectInteger(name, end);
  const s = expectInteger(name, step);
  if (s === 0) throw new IntrinsicFailureError(`${name}: the step must not be 0.`);
  const out: number[] = [];
  for (let x = a; s > 0 ? x <= b : x >= b; x += s) {
    out.push(x);
    if (out.length > 1000) throw new IntrinsicFailureError(`${name}: the range has more than 1000 items.`);
  }
  return out;
}

const FUNCTIONS: Record<string, Fn> = {
  'States.Format': (args, name) => {
    if (args.length < 1) arity(name, args, 1);
    const template = expectString(name, args[0]);
    const values = args.slice(1);
    let next = 0;
    let out = '';
    for (let i = 0; i < template.length; i += 1) {
      const ch = template[i];
      if (ch === '\\' && i + 1 < template.length) {
        out += template[i + 1];
        i += 1;
      } else if (ch === '{' && template[i + 1] === '}') {
        if (next >= values.length) throw new IntrinsicFailureError(`${name}: the template has more placeholders than arguments.`);
        out += formatArg(values[next]);
        next += 1;
        i += 1;
      } else out += ch;
    }
    if (next !== values.length) throw new IntrinsicFailureError(`${name}: the template has fewer placeholders than arguments.`);
    return out;
  },
  'States.StringToJson': (args, name) => {
    arity(name, args, 1);
    const text = expectString(name, args[0]).trim();
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (err: unknown) {
      throw new IntrinsicFailureError(`${name}: the argument is not valid JSON: ${text}`, { cause: err });
    }
  },
  'States.JsonToString': (args, name) => {
    arity(name, args, 1);
    return JSON.stringify(args[0]);
  },
  'States.Array': (args) => [...args],
  'States.ArrayPartition': (args, name) => {
    arity(name, args, 2);
    return partition(name, args[0], args[1]);
  },
  'States.ArrayContains': (args, name) => {
    arity(name, args, 2);
    return expectArray(name, args[0]).some((item) => jsonEquals(item, args[1]));
  },
  'States.ArrayRange': (args, name) => {
    arity(name, args, 3);
    return range(name, args[0], args[1], args[2]);
  },
  'States.ArrayGetItem': (args, name) => {
    arity(name, args, 2);
    const items = expectArray(name, args[0]);
    const index = expectInteger(name, args[1]);
    if (index < 0 || index >= items.length) throw new IntrinsicFailureError(`${name}: index ${index} is out of bounds for an array of length ${items.length}.`);
    return items[index];
  },
  'States.ArrayLength': (args, name) => {
    arity(name, args, 1);
    return expectArray(name, args[0]).length;
  },
  'States.ArrayUnique': (args, name) => {
    arity(name, args, 1);
    const out: unknown[] = [];
    for (const item of expectArray(name, args[0])) if (!out.some((seen) => jsonEquals(seen, item))) out.push(item);
    return out;
  },
  'States.Base64Encode': (args, name) => {
    arity(name, args, 1);
    return Buffer.from(expectString(name, args[0]), 'utf8').toString('base64');
  },
  'States.Base64Decode': (args, name) => {
    arity(name, args, 1);
    return Buffer.from(expectString(name, args[0]), 'base64').toString('utf8');
  },
  'States.Hash': (args, name) => {
    arity(name, args, 2);
    return hashText(name, args[0], args[1]);
  },
  'States.JsonMerge': (args, name) => {
    arity(name, args, 3);
    const [a, b, deep] = args;
    if (deep !== false) throw new IntrinsicFailureError(`${name}: only a shallow merge (false) is supported.`);
    if (a === null || typeof a !== 'object' || Array.isArray(a) || b === null || typeof b !== 'object' || Array.isArray(b)) {
      throw new IntrinsicFailureError(`${name}: both arguments must be JSON objects.`);
    }
    return { ...(a as Record<string, unknown>), ...(b as Record<string, unknown>) };
  },
  'States.MathRandom': (args, name) => {
    arity(name, args, 2, 3);
    const start = expectInteger(name, args[0]);
    const end = expectInteger(name, args[1]);
    const random = args.length === 3 ? seededRandom(expectInteger(name, args[2])) : Math.random;
    return start + Math.floor(random() * (end - start));
  },
  'States.MathAdd': (args, name) => {
    arity(name, args, 2);
    return Math.round(expectNumber(name, args[0])) + Math.round(expectNumber(name, args[1]));
  },
  'States.StringSplit': (args, name) => {
    arity(name, args, 2);
    const text = expectString(name, args[0]);
    const delimiters = [...expectString(name, args[1])];
    const parts: string[] = [];
    let current = '';
    for (const ch of text) {
      if (delimiters.includes(ch)) {
        parts.push(current);
        current = '';
      } else current += ch;
    }
    parts.push(current);
    return parts.filter((p) => p !== '');
  },
  'States.UUID': (args, name) => {
    arity(name, args, 0);
    return randomUUID();
  },
};
