import { errorNamed, InvalidOrder } from './errors';
import type { FaultableStep, FaultSpec, Faults } from './schemas';

/** Counts the attempts of one step of one saga, so a fault can fire on the first attempts only. */
export type AttemptCounter = (sagaId: string, step: string) => Promise<number>;

export interface FaultContext {
  readonly step: FaultableStep;
  /** The saga whose attempts are counted: two sagas for one order count apart. */
  readonly sagaId: string;
  readonly faults: Faults | undefined;
  readonly enabled: boolean;
  /** Milliseconds left before the function times out (a `Timeout` fault sleeps past it). */
  readonly remainingMs: () => number;
  readonly countAttempt: AttemptCounter;
  /** True for the step that accepts the command: it refuses faults when injection is off. */
  readonly refuseWhenDisabled?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Raises the fault the input asks for at this step, if fault injection is enabled.
 * Faults are data in the execution input, never chance: the same input fails the same way every time.
 */
export async function injectFault(ctx: FaultContext): Promise<void> {
  const spec: FaultSpec | undefined = ctx.faults?.[ctx.step];
  if (!ctx.enabled) {
    if (ctx.refuseWhenDisabled && ctx.faults && Object.keys(ctx.faults).length > 0) {
      throw new InvalidOrder('faults: fault injection is disabled in this deployment');
    }
    return;
  }
  if (spec === undefined) return;
  const { error, times } = typeof spec === 'string' ? { error: spec, times: undefined } : spec;
  if (times !== undefined && (await ctx.countAttempt(ctx.sagaId, ctx.step)) > times) return;
  const message = `injected fault at ${ctx.step}`;
  if (error === 'Timeout') {
    // Outlive the function's own timeout: the platform ends the invocation, as it would a hung call.
    await sleep(ctx.remainingMs() + 1_000);
    throw new Error(`${message}: still running after the function timeout`);
  }
  throw errorNamed(error, message);
}
