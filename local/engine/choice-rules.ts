/** Choice rules in JSONPath states: comparison operators, `And`/`Or`/`Not`, and the type tests (`IsNumeric`, …). */
import { StatesError, StatesRuntimeError } from './errors';
import type { StateRun } from './state-run';
import type { ChoiceRule } from './types';

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp (Step Functions' accepted form) to epoch milliseconds, or undefined. */
export function parseTimestamp(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = ISO_TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const ms = frac ? Number(`0${frac}`.slice(0, 5)) * 1000 : 0;
  let offset = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [oh, om] = zone.slice(1).split(':').map(Number);
    if (oh > 18 || om > 59) return undefined;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  return Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s)) + Math.round(ms) - offset;
}

function wildcardMatch(pattern: string, text: string): boolean {
  let regex = '^';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) {
      regex += pattern[i + 1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    } else if (ch === '*') regex += '.*';
    else regex += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${regex}$`, 's').test(text);
}

type Comparator = (a: unknown, b: unknown) => boolean;

const str = (f: (a: string, b: string) => boolean): Comparator => (a, b) => typeof a === 'string' && typeof b === 'string' && f(a, b);
const num = (f: (a: number, b: number) => boolean): Comparator => (a, b) => typeof a === 'number' && typeof b === 'number' && f(a, b);
const time = (f: (a: number, b: number) => boolean): Comparator => (a, b) => {
  const x = parseTimestamp(a);
  const y = parseTimestamp(b);
  return x !== undefined && y !== undefined && f(x, y);
};

const COMPARATORS: Record<string, Comparator> = {
  StringEquals: str((a, b) => a === b),
  StringLessThan: str((a, b) => a < b),
  StringGreaterThan: str((a, b) => a > b),
  StringLessThanEquals: str((a, b) => a <= b),
  StringGreaterThanEquals: str((a, b) => a >= b),
  StringMatches: str((a, b) => wildcardMatch(b, a)),
  NumericEquals: num((a, b) => a === b),
  NumericLessThan: num((a, b) => a < b),
  NumericGreaterThan: num((a, b) => a > b),
  NumericLessThanEquals: num((a, b) => a <= b),
  NumericGreaterThanEquals: num((a, b) => a >= b),
  BooleanEquals: (a, b) => typeof a === 'boolean' && a === b,
  TimestampEquals: time((a, b) => a === b),
  TimestampLessThan: time((a, b) => a < b),
  TimestampGreaterThan: time((a, b) => a > b),
  TimestampLessThanEquals: time((a, b) => a <= b),
  TimestampGreaterThanEquals: time((a, b) => a >= b),
};

const TYPE_TESTS: Record<string, (value: unknown, present: boolean) => boolean> = {
  IsNull: (v, present) => present && v === null,
  IsPresent: (_v, present) => present,
  IsNumeric: (v, present) => present && typeof v === 'number',
  IsString: (v, present) => present && typeof v === 'string',
  IsBoolean: (v, present) => present && typeof v === 'boolean',
  IsTimestamp: (v, present) => present && parseTimestamp(v) !== undefined,
};

const MISSING = Symbol('missing');

/** Evaluates one JSONPath Choice rule against the state's (effective) input. */
export function evaluateChoiceRule(run: StateRun, rule: ChoiceRule, input: unknown): boolean {
  if (rule.And) return rule.And.every((r) => evaluateChoiceRule(run, r, input));
  if (rule.Or) return rule.Or.some((r) => evaluateChoiceRule(run, r, input));
  if (rule.Not) return !evaluateChoiceRule(run, rule.Not, input);
  const variablePath = rule.Variable;
  if (typeof variablePath !== 'string') throw new StatesRuntimeError(`${run.errorPrefix()} A choice rule has no Variable.`);
  let value: unknown = MISSING;
  try {
    value = run.resolvePath(variablePath, input, () => new StatesError('missing'));
  } catch (err: unknown) {
    if (!(err instanceof StatesError) || err.name !== 'missing') throw err;
  }
  const present = value !== MISSING;
  for (const [operator, expected] of Object.entries(rule)) {
    const test = TYPE_TESTS[operator];
    if (test) return test(value, present) === expected;
    const isPath = operator.endsWith('Path') && operator !== 'Path';
    const base = isPath ? operator.slice(0, -4) : operator;
    const comparator = COMPARATORS[base];
    if (!comparator) continue;
    if (!present) {
      throw new StatesRuntimeError(
        `${run.errorPrefix()} Invalid path '${variablePath}': The choice state's condition path references an invalid value.`,
      );
    }
    let operand = expected;
    if (isPath) {
      if (typeof expected !== 'string') return false;
      operand = run.resolvePath(expected, input, () =>
        new StatesRuntimeError(`${run.errorPrefix()} Invalid path '${expected}': The choice state's condition path references an invalid value.`),
      );
    }
    return comparator(value, operand);
  }
  throw new StatesRuntimeError(`${run.errorPrefix()} A choice rule has no comparison operator.`);
}
