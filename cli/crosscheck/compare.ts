/** How one execution ended, on either interpreter: what the crosscheck compares. */
export interface RunOutcome {
  /** SUCCEEDED, FAILED, …; or the driver's own TIMEOUT, UNMOCKED_TASK, DRIVER_ERROR. */
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  /** Only a SUCCEEDED execution's. */
  readonly output?: unknown;
  /** The states entered, in the order the history logs them. */
  readonly statesEntered: readonly string[];
  /** Task attempts beyond the first, over the whole execution. @default - not compared */
  readonly retries?: number;
}

/** A field on which the two runs differ, each side shown as text. */
export interface Difference {
  readonly field: 'status' | 'error' | 'cause' | 'output' | 'statesEntered' | 'retries';
  readonly ours: string;
  readonly theirs: string;
}

interface StatesOwner {
  readonly States?: Readonly<Record<string, { readonly Type?: string; readonly Branches?: readonly unknown[] }>>;
}

/** Every Parallel state of a definition (nested ones included) with the names of all the states of its branches. */
export function parallelScopes(definition: StatesOwner): Map<string, ReadonlySet<string>> {
  const scopes = new Map<string, ReadonlySet<string>>();
  const visit = (owner: StatesOwner): string[] =>
    Object.entries(owner.States ?? {}).flatMap(([name, state]) => {
      const inside = (state.Branches ?? []).flatMap((branch) => visit(branch as StatesOwner));
      if (state.Type === 'Parallel') scopes.set(name, new Set(inside));
      return [name, ...inside];
    });
  visit(definition);
  return scopes;
}

/**
 * A path as the crosscheck compares it: the states outside Parallel states in order; after each entry of a Parallel
 * state, the states its branches entered, sorted (a multiset: branches run side by side, so their entries may
 * interleave either way, and a branch may log its entry after its sibling's failure). A branch state belongs to the
 * latest entry of its Parallel before it.
 */
export function comparablePath(path: readonly string[], scopes: ReadonlyMap<string, ReadonlySet<string>>): (string | string[])[] {
  const taken = new Set<number>();
  const result: (string | string[])[] = [];
  for (const [i, state] of path.entries()) {
    if (taken.has(i)) continue;
    result.push(state);
    const scope = scopes.get(state);
    if (!scope) continue;
    const inside: string[] = [];
    for (let j = i + 1; j < path.length && path[j] !== state; j++) {
      if (!taken.has(j) && scope.has(path[j])) {
        inside.push(path[j]);
        taken.add(j);
      }
    }
    result.push(inside.sort());
  }
  return result;
}

/** A comparable path as one line: `A → P → {B, C} → D`. */
export function formatComparablePath(path: readonly (string | string[])[]): string {
  return path.map((step) => (typeof step === 'string' ? step : `{${step.join(', ')}}`)).join(' → ');
}

function parsedJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether two JSON values are the same: objects whatever their key order, and a string that holds a JSON object or
 * array on both sides (a cause, an error message in it) compared as the value it holds, not as its text.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return true;
    const [x, y] = [parsedJson(a), parsedJson(b)];
    return x !== undefined && y !== undefined && sameJson(x, y);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
    const keys = Object.keys(x);
    return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
  }
  return a === b;
}

const shown = (value: unknown) => (value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Where two runs of one test case differ: status and error exactly; cause and output as JSON (see {@link sameJson});
 * the states entered in order, those of a Parallel's branches as a multiset (see {@link comparablePath}); the number
 * of retries when both sides count them.
 */
export function differences(ours: RunOutcome, theirs: RunOutcome, scopes: ReadonlyMap<string, ReadonlySet<string>>): Difference[] {
  const found: Difference[] = [];
  if (ours.status !== theirs.status) found.push({ field: 'status', ours: ours.status, theirs: theirs.status });
  if (ours.error !== theirs.error) found.push({ field: 'error', ours: shown(ours.error), theirs: shown(theirs.error) });
  if (!sameJson(ours.cause, theirs.cause)) found.push({ field: 'cause', ours: shown(ours.cause), theirs: shown(theirs.cause) });
  if (!sameJson(ours.output, theirs.output)) found.push({ field: 'output', ours: shown(ours.output), theirs: shown(theirs.output) });
  const [a, b] = [comparablePath(ours.statesEntered, scopes), comparablePath(theirs.statesEntered, scopes)];
  if (JSON.stringify(a) !== JSON.stringify(b)) found.push({ field: 'statesEntered', ours: formatComparablePath(a), theirs: formatComparablePath(b) });
  if (ours.retries !== undefined && theirs.retries !== undefined && ours.retries !== theirs.retries) {
    found.push({ field: 'retries', ours: String(ours.retries), theirs: String(theirs.retries) });
  }
  return found;
}
