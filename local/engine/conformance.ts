/**
 * Conformance against executions recorded on real AWS Step Functions (`shared/conformance/cases.json`) or written from
 * AWS's documentation (`test/conformance/documented-cases.json`): runs each case on the engine and compares as the
 * cases' README prescribes (status; output deep-equal; error and cause as exact strings; history event types as an
 * ordered list where the order is stable; the normalisation rules). `compare.ignore: ["cause"]` leaves a cause the
 * source does not state unchecked.
 */
import { readFileSync } from 'node:fs';
import { AslEngine, type ExecutionResult } from './engine';
import { jsonEquals } from './intrinsics';
import type { StateDefinition, StateMachineDefinition } from './types';

/** One recorded case. */
export interface ConformanceCase {
  readonly id: string;
  readonly queryLanguage: 'JSONPath' | 'JSONata';
  readonly features: readonly string[];
  readonly definition: StateMachineDefinition;
  readonly input: unknown;
  readonly expected: {
    readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
    readonly output?: unknown;
    readonly error?: string | null;
    readonly cause?: string | null;
    readonly historyEventTypes?: readonly string[];
    readonly historyOrderStable?: boolean;
  };
  readonly compare?: {
    readonly normalize?: readonly string[];
    /** Fields left unchecked because the case's source does not state them (an error whose cause the page does not give). */
    readonly ignore?: readonly 'cause'[];
  };
  readonly maxWaitSeconds?: number;
}

/** The result of one case. */
export interface CaseOutcome {
  readonly id: string;
  readonly queryLanguage: string;
  readonly features: readonly string[];
  readonly passed: boolean;
  /** What differs from AWS (empty when passed). */
  readonly differences: readonly string[];
  /** Differences that do not count (history of concurrent branches compared as a multiset). */
  readonly notes: readonly string[];
  /** Set when the case needs something a local engine cannot provide (a real AWS resource). */
  readonly unsupported?: string;
  readonly durationMs: number;
}

/** Pass counts. */
export interface Tally {
  cases: number;
  passed: number;
}

/** Pass rates overall, by query language and by feature. */
export interface ConformanceSummary {
  readonly total: Tally;
  readonly byQueryLanguage: Record<string, Tally>;
  readonly byFeature: Record<string, Tally>;
}

/** Reads a cases file (`{ cases: [...] }`). */
export function loadCases(file: string): ConformanceCase[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { cases?: unknown };
  if (!Array.isArray(parsed.cases)) throw new Error(`${file}: no "cases" array`);
  return parsed.cases as ConformanceCase[];
}

/** The snapshot tool's ISO-8601 pattern: a date, `T`, a time and a zone. */
export const ISO8601 = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})/g;
const ISO8601_WHOLE = new RegExp(`^${ISO8601.source}$`);

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapStrings(v, f)]));
  }
  return value;
}

function timestampKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timestampKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => {
        const scalar = v === null || typeof v !== 'object';
        if (/timestamp/i.test(k) && scalar && !(typeof v === 'string' && ISO8601_WHOLE.test(v))) return [k, 'timestamp'];
        return [k, timestampKeys(v)];
      }),
    );
  }
  return value;
}

function normalizeActualCause(cause: string): string {
  const m = /^.*'(\{.*\})'/.exec(cause);
  if (!m) return cause;
  try {
    JSON.parse(m[1]);
  } catch {
    return cause;
  }
  const end = m[0].length - 1;
  return `${cause.slice(0, end - m[1].length)}<json-input>${cause.slice(end)}`;
}

const NORMALIZATION_ORDER = ['timestamp-key', 'iso8601-date', 'cause-json-input'] as const;

/** Applies a case's normalisation rules to the actual result and the expected values. */
export function normalize(c: ConformanceCase, actual: ExecutionResult): { actual: ExecutionResult; expectedCause: string | null | undefined } {
  let output = actual.output;
  let cause = actual.cause;
  let expectedCause = c.expected.cause;
  const rules = c.compare?.normalize ?? [];
  // The README's order, whatever the order of the case's list: timestamp-key, iso8601-date, cause-json-input.
  for (const rule of NORMALIZATION_ORDER.filter((r) => rules.includes(r))) {
    if (rule === 'timestamp-key') output = timestampKeys(output);
    else if (rule === 'iso8601-date') {
      output = mapStrings(output, (s) => s.replace(ISO8601, 'date'));
      if (cause !== undefined) cause = cause.replace(ISO8601, 'date');
    } else if (rule === 'cause-json-input') {
      if (typeof expectedCause === 'string') expectedCause = expectedCause.replace(/<json-input:\d+>/g, '<json-input>');
      if (cause !== undefined) cause = normalizeActualCause(cause);
    }
  }
  return { actual: { ...actual, output, cause }, expectedCause };
}

function short(value: unknown, max = 160): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function multisetDiff(expected: readonly string[], actual: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const t of expected) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const t of actual) counts.set(t, (counts.get(t) ?? 0) - 1);
  const parts = [...counts].filter(([, n]) => n !== 0).map(([t, n]) => `${n > 0 ? 'missing' : 'extra'} ${t}×${Math.abs(n)}`);
  return parts.join(', ');
}

/** Compares an engine result with a case's expectation. */
export function compareResult(c: ConformanceCase, raw: ExecutionResult): { differences: string[]; notes: string[] } {
  const differences: string[] = [];
  const notes: string[] = [];
  const { actual, expectedCause } = normalize(c, raw);
  const expected = c.expected;
  if (actual.status !== expected.status) {
    differences.push(`status ${actual.status} ≠ ${expected.status}${actual.error !== undefined ? ` (${actual.error}: ${short(actual.cause, 200)})` : ''}`);
  } else if (expected.status === 'SUCCEEDED') {
    if (!jsonEquals(actual.output, expected.output)) differences.push(`output ${short(actual.output)} ≠ ${short(expected.output)}`);
  } else {
    if ((actual.error ?? null) !== (expected.error ?? null)) differences.push(`error ${short(actual.error ?? null)} ≠ ${short(expected.error ?? null)}`);
    const causeChecked = !(c.compare?.ignore ?? []).includes('cause');
    if (causeChecked && (actual.cause ?? null) !== (expectedCause ?? null)) differences.push(`cause ${short(actual.cause ?? null, 400)} ≠ ${short(expectedCause ?? null, 400)}`);
  }
  if (expected.historyEventTypes) {
    const types = actual.history.map((e) => e.type);
    if (expected.historyOrderStable !== false) {
      if (!jsonEquals(types, expected.historyEventTypes)) differences.push(`history ${types.join(',')} ≠ ${expected.historyEventTypes.join(',')}`);
    } else {
      const diff = multisetDiff(expected.historyEventTypes, types);
      if (diff) notes.push(`history (concurrent, as a multiset): ${diff}`);
    }
  }
  return { differences, notes };
}

function* statesOf(machine: StateMachineDefinition): Generator<StateDefinition> {
  for (const state of Object.values(machine.States ?? {})) {
    yield state;
    for (const branch of state.Branches ?? []) yield* statesOf(branch);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) yield* statesOf(processor);
  }
}

/** Why a case cannot run locally (it needs a real AWS resource), or undefined. */
export function unsupportedReason(c: ConformanceCase): string | undefined {
  const resources = [...statesOf(c.definition)].filter((s) => s.Type === 'Task').map((s) => s.Resource ?? '?');
  if (resources.length > 0) return `needs AWS resources: ${[...new Set(resources)].join(', ')}`;
  const reader = [...statesOf(c.definition)].find((s) => s.ItemReader !== undefined || s.ResultWriter !== undefined);
  if (reader) return 'needs S3 (Map ItemReader/ResultWriter)';
  return undefined;
}

/** Options of a conformance run. */
export interface ConformanceOptions {
  /** Cases run at once. @default 16 */
  readonly concurrency?: number;
  /** Multiplies waits (except in cases with a top-level TimeoutSeconds, which run in real time). @default 0.001 */
  readonly timeScale?: number;
  /** Called as each case finishes. */
  readonly onResult?: (outcome: CaseOutcome) => void;
}

/** Runs one case. */
export async function runCase(c: ConformanceCase, timeScale = 0.001): Promise<CaseOutcome> {
  const started = Date.now();
  const base = { id: c.id, queryLanguage: c.queryLanguage, features: c.features };
  const reason = unsupportedReason(c);
  if (reason) return { ...base, passed: false, differences: [`unsupported: ${reason}`], notes: [], unsupported: reason, durationMs: 0 };
  try {
    const scale = c.definition.TimeoutSeconds !== undefined ? 1 : timeScale;
    const engine = new AslEngine(c.definition, { timeScale: scale, stateMachineName: 'ConformanceCase' });
    const result = await engine.execute(c.input);
    const { differences, notes } = compareResult(c, result);
    return { ...base, passed: differences.length === 0, differences, notes, durationMs: Date.now() - started };
  } catch (err: unknown) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ...base, passed: false, differences: [`engine threw ${message}`], notes: [], durationMs: Date.now() - started };
  }
}

/** Runs every case with bounded concurrency; outcomes come back in the cases' order. */
export async function runConformance(cases: readonly ConformanceCase[], options: ConformanceOptions = {}): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = new Array<CaseOutcome>(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next;
      next += 1;
      outcomes[index] = await runCase(cases[index], options.timeScale);
      options.onResult?.(outcomes[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, cases.length)) }, () => worker()));
  return outcomes;
}

/** Pass rates overall, by query language and by feature. */
export function summarize(outcomes: readonly CaseOutcome[]): ConformanceSummary {
  const total: Tally = { cases: 0, passed: 0 };
  const byQueryLanguage: Record<string, Tally> = { JSONPath: { cases: 0, passed: 0 }, JSONata: { cases: 0, passed: 0 } };
  const byFeature: Record<string, Tally> = {};
  const count = (tally: Tally, passed: boolean) => {
    tally.cases += 1;
    if (passed) tally.passed += 1;
  };
  for (const o of outcomes) {
    count(total, o.passed);
    count((byQueryLanguage[o.queryLanguage] ??= { cases: 0, passed: 0 }), o.passed);
    for (const f of o.features) count((byFeature[f] ??= { cases: 0, passed: 0 }), o.passed);
  }
  return { total, byQueryLanguage, byFeature };
}
