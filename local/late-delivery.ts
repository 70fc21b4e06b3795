/**
 * When and how often a Lambda invocation is delivered again, late. Lambda and Step Functions deliver at least once:
 * a retried invocation may still be running, or start again, after the execution moved on or even ended. A late
 * copy tests that no step commits after its saga rejected, failed or compensated it.
 */
export interface LateDeliveryOptions {
  /**
   * When the copy arrives: `'execution-end'` once the invocation's execution has ended (the harshest case: the
   * saga's outcome is decided), or a delay in milliseconds after the original invocation returned.
   */
  readonly after: 'execution-end' | number;
  /** Share of invocations that get a late copy, 0 to 1, picked deterministically from `seed`. @default 1 */
  readonly share?: number;
  /** Picks which invocations get a copy: the same seed and executions pick the same ones. @default 0 */
  readonly seed?: number;
}

/** What the late copies did: how many were delivered, and how they ended (by outcome or error name). */
export interface LateDeliveryReport {
  readonly delivered: number;
  readonly outcomes: Readonly<Record<string, number>>;
}

/**
 * Schedules late copies of invocations and keeps count of them. `settled()` waits for every copy scheduled so far,
 * so a test or the soak can check the stores once nothing is in flight any more.
 */
export class LateDeliveries {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes: Record<string, number> = {};
  private delivered = 0;
  private closed = false;

  constructor(private readonly options: LateDeliveryOptions) {}

  /** True when the invocation `key` (execution, state and attempt) is picked for a late copy. */
  picks(key: string): boolean {
    const share = this.options.share ?? 1;
    if (share >= 1) return true;
    return fnv1a(`${this.options.seed ?? 0}:${key}`) / 0x1_0000_0000 < share;
  }

  /**
   * Delivers `deliver` again once the execution has `ended`, or the configured delay after the original invocation
   * `returned` (either promise may reject; only its settling counts).
   */
  schedule(deliver: () => Promise<unknown>, moments: { readonly returned: Promise<unknown>; readonly ended: Promise<unknown> }): void {
    if (this.closed) return;
    const after = this.options.after;
    const settled = (p: Promise<unknown>) => p.then(
      () => undefined,
      () => undefined,
    );
    const when =
      after === 'execution-end' ? settled(moments.ended) : settled(moments.returned).then(() => new Promise<void>((resolve) => setTimeout(resolve, after)));
    const copy = when
      .then(async () => {
        if (this.closed) return;
        this.delivered++;
        const outcome = await deliver().then(
          () => 'succeeded',
          (err: unknown) => (err instanceof Error ? err.name : 'failed'),
        );
        this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      })
      .finally(() => this.inFlight.delete(copy));
    this.inFlight.add(copy);
  }

  /** Resolves when every copy scheduled so far (and any they scheduled) has been delivered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  report(): LateDeliveryReport {
    return { delivered: this.delivered, outcomes: { ...this.outcomes } };
  }

  /** Drops the copies not yet delivered (the runtime is closing). */
  close(): void {
    this.closed = true;
  }
}

/** 32-bit FNV-1a: a stable, well-spread hash for picking invocations without Math.random(). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
