/**
 * JSONPath as Step Functions evaluates it (Jayway semantics): a definite path (names and indexes only) selects one
 * value or fails; an indefinite path (wildcards, slices, filters, deep scan, unions) selects a list, possibly empty.
 * Simple paths are walked directly; everything else goes to `jsonpath-plus`.
 */
import { JSONPath } from 'jsonpath-plus';

/** One step of a definite path: an object key or an array index. */
export type PathSegment = string | number;

const simpleCache = new Map<string, PathSegment[] | null>();

/**
 * Parses a definite path (`$`, `$.a.b`, `$['a'][0]`, `$.a-b[2].c`) into segments, or returns `null` when the path is
 * indefinite or not understood here.
 */
export function parseDefinitePath(path: string): PathSegment[] | null {
  const cached = simpleCache.get(path);
  if (cached !== undefined) return cached;
  const result = parseUncached(path);
  if (simpleCache.size > 10_000) simpleCache.clear();
  simpleCache.set(path, result);
  return result;
}

function parseUncached(path: string): PathSegment[] | null {
  if (!path.startsWith('$')) return null;
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      if (path[i + 1] === '.') return null;
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j += 1;
      const name = path.slice(i + 1, j);
      if (name === '' || name === '*' || /[()?@]/.test(name)) return null;
      segments.push(name);
      i = j;
    } else if (ch === '[') {
      const close = findClose(path, i);
      if (close < 0) return null;
      const inner = path.slice(i + 1, close).trim();
      const quoted = /^'((?:[^'\\]|\\.)*)'$/.exec(inner) ?? /^"((?:[^"\\]|\\.)*)"$/.exec(inner);
      if (quoted) segments.push(quoted[1].replace(/\\(.)/g, '$1'));
      else if (/^-?\d+$/.test(inner)) segments.push(Number(inner));
      else return null;
      i = close + 1;
    } else {
      return null;
    }
  }
  return segments;
}

function findClose(path: string, open: number): number {
  let quote: string | null = null;
  for (let i = open + 1; i < path.length; i += 1) {
    const ch = path[i];
    if (quote) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ']') return i;
  }
  return -1;
}

const MISSING = Symbol('missing');

function walk(data: unknown, segments: readonly PathSegment[]): unknown {
  let current: unknown = data;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return MISSING;
      const index = segment < 0 ? current.length + segment : segment;
      if (index < 0 || index >= current.length) return MISSING;
      current = current[index] as unknown;
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return MISSING;
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return MISSING;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/** The result of a JSONPath query: `found` is false when a definite path selects nothing. */
export interface PathResult {
  readonly found: boolean;
  readonly value: unknown;
}

/**
 * Evaluates `path` (starting with `$`) against `data`. Definite paths give the selected value; indefinite paths give
 * the list of matches (an empty list is "found").
 */
export function queryJsonPath(path: string, data: unknown): PathResult {
  const fn = /^(.*)\.(length|min|max|avg|sum|first|last|keys)\(\)$/.exec(path);
  if (fn) return applyFunction(fn[2], queryJsonPath(fn[1], data));
  const segments = parseDefinitePath(path);
  if (segments) {
    const value = walk(data, segments);
    return value === MISSING ? { found: false, value: undefined } : { found: true, value };
  }
  if (data === null || typeof data !== 'object') return { found: true, value: [] };
  const matches: unknown = JSONPath({ path, json: data, wrap: true, resultType: 'value', eval: 'safe' });
  return { found: true, value: Array.isArray(matches) ? matches : [] };
}

function numbers(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: number[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'number') return undefined;
    out.push(item);
  }
  return out;
}

/** Jayway's path functions (`$.items.length()`, `min()`, …) applied to what the path before them selected. */
function applyFunction(name: string, base: PathResult): PathResult {
  if (!base.found) return base;
  const value = base.value;
  const list = Array.isArray(value) ? (value as unknown[]) : undefined;
  const nums = numbers(value);
  switch (name) {
    case 'length':
      if (list) return { found: true, value: list.length };
      if (typeof value === 'string') return { found: true, value: value.length };
      if (value !== null && typeof value === 'object') return { found: true, value: Object.keys(value).length };
      return { found: false, value: undefined };
    case 'keys':
      return value !== null && typeof value === 'object' && !list ? { found: true, value: Object.keys(value) } : { found: false, value: undefined };
    case 'first':
      return list && list.length > 0 ? { found: true, value: list[0] } : { found: false, value: undefined };
    case 'last':
      return list && list.length > 0 ? { found: true, value: list[list.length - 1] } : { found: false, value: undefined };
    default:
      break;
  }
  if (!nums || nums.length === 0) return { found: false, value: undefined };
  const sum = nums.reduce((a, b) => a + b, 0);
  if (name === 'sum') return { found: true, value: sum };
  if (name === 'avg') return { found: true, value: sum / nums.length };
  if (name === 'min') return { found: true, value: Math.min(...nums) };
  return { found: true, value: Math.max(...nums) };
}

/** Renders a definite path the way Jayway does in its error messages: `$['a']['b'][0]`. */
export function normalizedPath(path: string): string {
  const segments = parseDefinitePath(path);
  if (!segments) return path;
  return `$${segments.map((s) => (typeof s === 'number' ? `[${s}]` : `['${s}']`)).join('')}`;
}

/**
 * Returns a copy of `target` with `value` placed at the reference path `path` (ResultPath semantics): `$` replaces
 * the whole value; missing objects on the way are created. Returns `undefined` when the path cannot be applied.
 */
export function setAtReferencePath(target: unknown, path: string, value: unknown): { ok: true; value: unknown } | { ok: false } {
  const segments = parseDefinitePath(path);
  if (!segments) return { ok: false };
  if (segments.length === 0) return { ok: true, value };
  const root: unknown = structuredCopyShallow(target);
  if (root === null || typeof root !== 'object') return { ok: false };
  let node = root as Record<string, unknown> | unknown[];
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length || segment < 0) return { ok: false };
      if (last) node[segment] = value;
      else {
        const child = structuredCopyShallow(node[segment]);
        if (child === null || typeof child !== 'object') return { ok: false };
        node[segment] = child;
        node = child as Record<string, unknown> | unknown[];
      }
    } else {
      if (Array.isArray(node)) return { ok: false };
      if (last) node[segment] = value;
      else {
        const existing = node[segment];
        const child = existing === undefined ? {} : structuredCopyShallow(existing);
        if (child === null || typeof child !== 'object') return { ok: false };
        node[segment] = child;
        node = child as Record<string, unknown> | unknown[];
      }
    }
  }
  return { ok: true, value: root };
}

function structuredCopyShallow(value: unknown): unknown {
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (value !== null && typeof value === 'object') return { ...(value as Record<string, unknown>) };
  return value;
}
