/**
 * Upper bounds on the size in bytes of a value's compact JSON text (what Step Functions' 256 KiB limit counts).
 * Checking every state's output exactly would mean serialising it each time; instead each checked object's bound is
 * remembered, and a state whose output is its input plus a result is bounded by their sum. Only a bound over the
 * limit is measured exactly.
 */
const bounds = new WeakMap<object, number>();

/** Remembers that `value`'s JSON is at most `bytes` long. */
export function rememberBound(value: unknown, bytes: number): void {
  if (value !== null && typeof value === 'object') bounds.set(value, bytes);
}

/** Exact UTF-8 size of `value`'s JSON text (`undefined` counts as `null`). */
export function jsonByteSize(value: unknown): number {
  const text = JSON.stringify(value) ?? 'null';
  return Buffer.byteLength(text, 'utf8');
}

/** An upper bound on the UTF-8 size of `value`'s JSON text: remembered, or measured (and remembered). */
export function jsonSizeBound(value: unknown): number {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string') return value.length * 6 + 2;
    return 24;
  }
  const known = bounds.get(value);
  if (known !== undefined) return known;
  const text = JSON.stringify(value) ?? 'null';
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: measure exactly only when that could matter.
  const bound = text.length * 3 <= 256 * 1024 ? text.length * 3 : Buffer.byteLength(text, 'utf8');
  bounds.set(value, bound);
  return bound;
}
