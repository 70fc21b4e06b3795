/**
 * Workflow variables (`Assign`) and their scopes: a Parallel branch or Map iteration reads its parent's variables
 * but its own assignments stay inside it.
 */
export class VariableScope {
  private readonly own = new Map<string, unknown>();

  constructor(private readonly parent?: VariableScope) {}

  /** A scope for a branch or iteration: reads fall through to this one, writes stay in the child. */
  child(): VariableScope {
    return new VariableScope(this);
  }

  has(name: string): boolean {
    return this.own.has(name) || (this.parent?.has(name) ?? false);
  }

  get(name: string): unknown {
    if (this.own.has(name)) return this.own.get(name);
    return this.parent?.get(name);
  }

  /** Assigns all values at once (every value was computed from the variables before this state). */
  assign(values: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(values)) this.own.set(name, value);
  }

  /** Every visible variable, inner scopes shadowing outer ones (for JSONata bindings). */
  all(): Record<string, unknown> {
    const base = this.parent ? this.parent.all() : {};
    for (const [name, value] of this.own) base[name] = value;
    return base;
  }
}
