import { isIPv4, isIPv6 } from 'node:net';
import { InvalidEventPatternError } from './event-errors';

/**
 * EventBridge event pattern matching, as the EventBridge user guide documents it ("Creating event patterns",
 * "Content filtering in Amazon EventBridge event patterns", "Arrays in event patterns").
 *
 * Why no library: npm has no maintained EventBridge pattern matcher. `eb-patterns` (the only candidate found by
 * name) is not on the registry any more; `serverless-offline-aws-eventbridge` is a Serverless Framework plugin with
 * a partial matcher inside, not a library; AWS's own matcher (Event Ruler) is Java; `TestEventPattern` needs an AWS
 * account. So the semantics are written here, in one small module, tested against the guide's examples.
 *
 * Semantics implemented:
 * - a pattern is an object; every field it names must be in the event (AND); a leaf is a non-empty array of
 *   matchers, any of which may match (OR); nested objects follow the event's nesting;
 * - exact values: strings (case-sensitive), numbers (by value: `300` matches `3.0e2`), `true`, `false`, `null`;
 *   a string never matches a number or the reverse;
 * - `prefix`, `suffix` (each also with `{ "equals-ignore-case": … }`), `equals-ignore-case`, `wildcard` (`*` for any
 *   run of characters, `\*` and `\\` for the literal characters; `**` is refused), `cidr` (IPv4 and IPv6), on strings;
 * - `anything-but` with a string, a number, a list of either, or `{prefix | suffix | equals-ignore-case | wildcard}`;
 *   the field must exist;
 * - `numeric` with `=`, `<`, `<=`, `>`, `>=`, alone or as a lower and an upper bound, on numbers;
 * - `exists: true | false`, on leaf values only (a field whose value is an object or an empty array does not exist);
 * - `$or`: a list of sub-patterns at any level, ANDed with the level's other fields;
 * - arrays in the event: a leaf matches when any element matches; when the pattern descends into an array of
 *   objects, all the fields of that sub-pattern must be matched by the same element (Event Ruler's array
 *   consistency).
 *
 * Not emulated: the size limits of patterns (2048 characters per value, 4096 per pattern through TestEventPattern)
 * and Event Ruler's precision limits on numbers (it compares at six decimal places within ±5e9 in older versions).
 */

/** A leaf value of an event, after arrays are flattened. */
type Leaf = string | number | boolean | null;

/** An event pattern, as written in the template (`EventPattern`) or passed to `PutRule`. */
export type EventPattern = Readonly<Record<string, unknown>>;

type LeafTest = { readonly kind: 'exists'; readonly exists: boolean } | { readonly kind: 'value'; readonly test: (value: Leaf) => boolean };

interface PatternNode {
  readonly fields: readonly (readonly [string, PatternNode | readonly LeafTest[]])[];
  readonly alternatives: readonly (readonly PatternNode[])[];
}

/** A validated, compiled event pattern: compile once per rule, match many events. */
export interface CompiledEventPattern {
  /** The pattern as given. */
  readonly pattern: EventPattern;
  /** Whether an event (the whole envelope: `source`, `detail-type`, `detail`…) matches the pattern. */
  matches(event: unknown): boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(message: string, path: string): never {
  throw new InvalidEventPatternError(`invalid event pattern at ${path || '(root)'}: ${message}`, path);
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function requireString(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string') fail(`${what} takes a string`, path);
  return value;
}

/** `"a.b*"` → a regular expression: `*` is any run of characters, `\*` a star, `\\` a backslash. */
function wildcardRegExp(wildcard: string, path: string, ignoreCase = false): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i];
    if (c === '\\') {
      const next = wildcard[i + 1];
      if (next !== '*' && next !== '\\') fail(`wildcard "${wildcard}" has an invalid escape at position ${i}`, path);
      source += `\\${next}`;
      i++;
    } else if (c === '*') {
      if (wildcard[i + 1] === '*') fail(`wildcard "${wildcard}" has consecutive wildcard characters at position ${i}`, path);
      source += '.*';
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'su' : 's');
}

const lower = (text: string): string => text.toLowerCase();

/** A string test, from `"x"` or `{ "equals-ignore-case": "x" }` (for `prefix` and `suffix`). */
function affixTest(arg: unknown, path: string, operator: 'prefix' | 'suffix'): (value: string) => boolean {
  const ends = (value: string, affix: string) => (operator === 'prefix' ? value.startsWith(affix) : value.endsWith(affix));
  if (typeof arg === 'string') return (value) => ends(value, arg);
  if (isObject(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg) {
    const affix = lower(requireString(arg['equals-ignore-case'], join(path, 'equals-ignore-case'), 'equals-ignore-case'));
    return (value) => ends(lower(value), affix);
  }
  return fail(`${operator} takes a string or { "equals-ignore-case": string }`, path);
}

function stringList(arg: unknown, path: string, what: string): string[] {
  const list = Array.isArray(arg) ? (arg as unknown[]) : [arg];
  if (list.length === 0) fail(`${what} takes a string or a non-empty list of strings`, path);
  return list.map((item, i) => requireString(item, Array.isArray(arg) ? join(path, i) : path, what));
}

/** The test `anything-but` negates. */
function anythingBut(arg: unknown, path: string): (value: Leaf) => boolean {
  if (typeof arg === 'string' || typeof arg === 'number') return (value) => value !== arg;
  if (Array.isArray(arg)) {
    const list = arg as unknown[];
    const allStrings = list.every((v) => typeof v === 'string');
    const allNumbers = list.every((v) => typeof v === 'number');
    if (list.length === 0 || !(allStrings || allNumbers)) fail('anything-but takes a non-empty list of strings or of numbers', path);
    const excluded = new Set(list as (string | number)[]);
    return (value) => !(typeof value === 'string' || typeof value === 'number') || !excluded.has(value);
  }
  if (isObject(arg) && Object.keys(arg).length === 1) {
    const [[operator, operand]] = Object.entries(arg);
    const at = join(path, operator);
    let stringTest: (value: string) => boolean;
    switch (operator) {
      case 'prefix':
      case 'suffix': {
        const affixes = stringList(operand, at, operator);
        stringTest = (value) => affixes.some((a) => (operator === 'prefix' ? value.startsWith(a) : value.endsWith(a)));
        break;
      }
      case 'equals-ignore-case': {
        const values = new Set(stringList(operand, at, operator).map(lower));
        stringTest = (value) => values.has(lower(value));
        break;
      }
      case 'wildcard': {
        const patterns = stringList(operand, at, operator).map((w) => wildcardRegExp(w, at));
        stringTest = (value) => patterns.some((p) => p.test(value));
        break;
      }
      default:
        return fail(`anything-but does not take "${operator}" (it takes prefix, suffix, equals-ignore-case or wildcard)`, at);
    }
    return (value) => typeof value !== 'string' || !stringTest(value);
  }
  return fail('anything-but takes a string, a number, a list of either, or one of prefix, suffix, equals-ignore-case, wildcard', path);
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

function numericTest(arg: unknown, path: string): (value: number) => boolean {
  const terms = Array.isArray(arg) ? (arg as unknown[]) : [];
  if (terms.length !== 2 && terms.length !== 4) fail('numeric takes [operator, number] or [lower operator, number, upper operator, number]', path);
  const compare: ((value: number) => boolean)[] = [];
  for (let i = 0; i < terms.length; i += 2) {
    const [operator, bound] = [terms[i], terms[i + 1]];
    if (typeof bound !== 'number' || !Number.isFinite(bound)) fail(`numeric bound ${JSON.stringify(bound)} is not a number`, join(path, i + 1));
    switch (operator) {
      case '=':
        compare.push((v) => v === bound);
        break;
      case '<':
        compare.push((v) => v < bound);
        break;
      case '<=':
        compare.push((v) => v <= bound);
        break;
      case '>':
        compare.push((v) => v > bound);
        break;
      case '>=':
        compare.push((v) => v >= bound);
        break;
      default:
        fail(`numeric operator ${JSON.stringify(operator)} is not one of =, <, <=, >, >=`, join(path, i));
    }
  }
  if (terms.length === 4) {
    const [low, lowBound, high, highBound] = terms as [string, number, string, number];
    if (!LOWER_BOUNDS.has(low) || !UPPER_BOUNDS.has(high)) fail('a numeric range is a lower bound (> or >=) then an upper bound (< or <=)', path);
    if (lowBound >= highBound) fail(`numeric range [${lowBound}, ${highBound}] is empty`, path);
  }
  return (value) => compare.every((c) => c(value));
}

/** An IP address as a number and its width in bits, or undefined when the text is not an address. */
function ipToBigInt(text: string): { value: bigint; bits: 32 | 128 } | undefined {
  if (isIPv4(text)) return { value: text.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n), bits: 32 };
  if (!isIPv6(text)) return undefined;
  let address = text.split('%')[0];
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4Tail) {
    const v4 = ipToBigInt(v4Tail[1])!.value;
    address = `${address.slice(0, -v4Tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return { value: groups.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n), bits: 128 };
}

function cidrTest(arg: unknown, path: string): (value: string) => boolean {
  const text = requireString(arg, path, 'cidr');
  const [address, prefixText] = text.split('/');
  const network = ipToBigInt(address);
  const prefix = Number(prefixText);
  if (!network || prefixText === undefined || !/^\d+$/.test(prefixText) || prefix > network.bits) fail(`cidr "${text}" is not an IPv4 or IPv6 CIDR block`, path);
  const shift = BigInt(network.bits - prefix);
  return (value) => {
    const ip = ipToBigInt(value);
    return ip !== undefined && ip.bits === network.bits && ip.value >> shift === network.value >> shift;
  };
}

function onStrings(test: (value: string) => boolean): LeafTest {
  return { kind: 'value', test: (value) => typeof value === 'string' && test(value) };
}

function compileMatcher(matcher: unknown, path: string): LeafTest {
  if (matcher === null || typeof matcher === 'string' || typeof matcher === 'boolean') return { kind: 'value', test: (value) => value === matcher };
  if (typeof matcher === 'number') {
    if (!Number.isFinite(matcher)) fail('a number must be finite', path);
    return { kind: 'value', test: (value) => value === matcher };
  }
  if (!isObject(matcher)) return fail(`a matcher is a string, a number, a boolean, null or an operator object, not ${JSON.stringify(matcher)}`, path);
  const keys = Object.keys(matcher);
  if (keys.length !== 1) fail(`an operator object has exactly one operator, not ${keys.length} (${keys.join(', ') || 'none'})`, path);
  const [operator] = keys;
  const arg = matcher[operator];
  const at = join(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return onStrings(affixTest(arg, at, operator));
    case 'equals-ignore-case': {
      const expected = lower(requireString(arg, at, operator));
      return onStrings((value) => lower(value) === expected);
    }
    case 'wildcard': {
      const regExp = wildcardRegExp(requireString(arg, at, operator), at);
      return onStrings((value) => regExp.test(value));
    }
    case 'cidr':
      return onStrings(cidrTest(arg, at));
    case 'anything-but': {
      const test = anythingBut(arg, at);
      return { kind: 'value', test };
    }
    case 'numeric': {
      const test = numericTest(arg, at);
      return { kind: 'value', test: (value) => typeof value === 'number' && test(value) };
    }
    case 'exists':
      if (typeof arg !== 'boolean') fail('exists takes true or false', at);
      return { kind: 'exists', exists: arg };
    default:
      return fail(`unknown operator "${operator}"`, at);
  }
}

function compileNode(pattern: unknown, path: string): PatternNode {
  if (!isObject(pattern)) fail(`a pattern is a JSON object, not ${JSON.stringify(pattern)}`, path);
  const entries = Object.entries(pattern);
  if (entries.length === 0) fail('a pattern object must name at least one field', path);
  const fields: [string, PatternNode | readonly LeafTest[]][] = [];
  const alternatives: PatternNode[][] = [];
  for (const [key, value] of entries) {
    const at = join(path, key);
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) fail('$or takes a list of at least two patterns', at);
      alternatives.push((value as unknown[]).map((alternative, i) => compileNode(alternative, join(at, i))));
    } else if (Array.isArray(value)) {
      const matchers = value as unknown[];
      if (matchers.length === 0) fail('a list of matchers must not be empty', at);
      fields.push([key, matchers.map((m, i) => compileMatcher(m, join(at, i)))]);
    } else if (isObject(value)) {
      fields.push([key, compileNode(value, at)]);
    } else {
      fail(`a field's value is a list of matchers or a nested pattern, not ${JSON.stringify(value)}`, at);
    }
  }
  return { fields, alternatives };
}

/** The leaf values of an event field: arrays flattened, objects dropped (they are not leaves). */
function leaves(value: unknown, into: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) for (const item of value as unknown[]) leaves(item, into);
  else if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') into.push(value);
  return into;
}

function matchLeaf(tests: readonly LeafTest[], present: boolean, value: unknown): boolean {
  const values = present ? leaves(value) : [];
  return tests.some((t) => (t.kind === 'exists' ? t.exists === values.length > 0 : values.some((v) => t.test(v))));
}

function matchNode(node: PatternNode, event: unknown): boolean {
  // A sub-pattern over an array of objects must be matched by one element (array consistency).
  if (Array.isArray(event)) {
    const items = event as unknown[];
    return items.length === 0 ? matchNode(node, undefined) : items.some((item) => matchNode(node, item));
  }
  const record = isObject(event) ? event : undefined;
  for (const [key, sub] of node.fields) {
    const present = record !== undefined && Object.hasOwn(record, key);
    const value = present ? record[key] : undefined;
    const ok = Array.isArray(sub) ? matchLeaf(sub as readonly LeafTest[], present, value) : matchNode(sub as PatternNode, value);
    if (!ok) return false;
  }
  return node.alternatives.every((choices) => choices.some((choice) => matchNode(choice, event)));
}

/**
 * Parses an event pattern (an object, or the JSON text CloudFormation may hold) and checks it as EventBridge does
 * when a rule is created: throws {@link InvalidEventPatternError} naming the path of the first problem.
 *
 * @example
 * const pattern = compileEventPattern({ source: ['aws.states'], detail: { status: ['ABORTED', 'TIMED_OUT'] } });
 * pattern.matches({ source: 'aws.states', detail: { status: 'ABORTED' } }); // true
 */
export function compileEventPattern(pattern: EventPattern | string): CompiledEventPattern {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (err: unknown) {
      throw new InvalidEventPatternError(`invalid event pattern: not JSON (${err instanceof Error ? err.message : String(err)})`, '', { cause: err });
    }
  }
  const root = compileNode(parsed, '');
  return { pattern: parsed as EventPattern, matches: (event) => matchNode(root, event) };
}

/**
 * Checks an event pattern without matching anything: throws {@link InvalidEventPatternError} when AWS would reject it.
 *
 * @example
 * validateEventPattern({ detail: { count: [{ numeric: ['>', 0, '<=', 5] }] } }); // fine
 * validateEventPattern({ detail: { count: [{ numeric: ['<', 5, '>', 0] }] } }); // throws: lower bound first
 */
export function validateEventPattern(pattern: EventPattern | string): void {
  compileEventPattern(pattern);
}

/**
 * Whether an event matches an event pattern, as EventBridge's `TestEventPattern` would answer. Compiles the pattern
 * each call: for many events, {@link compileEventPattern} once.
 *
 * @example
 * matchesEventPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'running' } }); // true
 */
export function matchesEventPattern(pattern: EventPattern | string, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}
