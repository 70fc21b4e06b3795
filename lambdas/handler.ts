import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { z } from 'zod/mini';
import { ConfigurationError, InvalidOrder } from './errors';
import { faultInjectionEnabled } from './env';
import { injectFault, type AttemptCounter } from './faults';
import { sagaRequest, type FaultableStep, type Faults } from './schemas';

export const logger = new Logger();

/** Formats zod issues as one line that names each bad field: `items.1.quantity: quantity must be at least 1`. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
      return issue.path.length > 0 ? `${issue.path.join('.')}: ${message}` : message;
    })
    .join('; ');
}

/** Parses a handler's input, rejecting anything malformed with a named `InvalidOrder` that names the field. */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown): z.infer<S> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    throw new InvalidOrder(`the order must be a JSON object, got ${got}`);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidOrder(describeIssues(parsed.error));
  return parsed.data;
}

export interface HandlerOptions<S extends z.ZodMiniType, R> {
  /** The saga step this handler serves, as named in the state machine and in `faults`. */
  readonly step: FaultableStep;
  /** The shape of the saga's state this step needs. */
  readonly schema: S;
  /** The step's work, for the saga `sagaId` (the execution ARN that owns what it writes). */
  readonly action: (input: z.infer<S>, sagaId: string) => Promise<R>;
  readonly countAttempt: AttemptCounter;
  /** The first step refuses a command with faults when fault injection is off. */
  readonly refuseFaultsWhenDisabled?: boolean;
}

type SagaInput = { orderId: string; faults?: Faults };

/**
 * Builds a Lambda handler: read the saga's `{ sagaId, state }`, parse the state, inject a requested fault, run the
 * domain action and return plain JSON. Failures are thrown as named errors, which Step Functions matches by name.
 */
export function makeHandler<S extends z.ZodMiniType<SagaInput>, R>(options: HandlerOptions<S, R>) {
  const enabled = faultInjectionEnabled();
  return async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<R> => {
    logger.resetKeys();
    const state = isRecord(event) ? event.state : undefined;
    const orderId = isRecord(state) && typeof state.orderId === 'string' ? state.orderId : undefined;
    const sagaId = isRecord(event) && typeof event.sagaId === 'string' ? event.sagaId : undefined;
    logger.appendKeys({ step: options.step, orderId, sagaId });
    try {
      const request = sagaRequest.safeParse(event);
      // A request without a saga id is a wiring mistake of the state machine, not a bad order.
      if (!request.success) throw new ConfigurationError(`the saga's functions take { sagaId, state }: ${describeIssues(request.error)}`);
      const { state: given, failure } = request.data;
      const input = parseInput(options.schema, failure && isRecord(given) ? { ...given, failure } : given);
      await injectFault({
        step: options.step,
        sagaId: request.data.sagaId,
        faults: input.faults,
        enabled,
        remainingMs: () => context?.getRemainingTimeInMillis() ?? 0,
        countAttempt: options.countAttempt,
        refuseWhenDisabled: options.refuseFaultsWhenDisabled,
      });
      const result = await options.action(input, request.data.sagaId);
      logger.info('step succeeded', { result });
      return result;
    } catch (err: unknown) {
      const name = err instanceof Error ? err.name : typeof err;
      const message = err instanceof Error ? err.message : String(err);
      logger.warn('step failed', { error: name, reason: message });
      throw err;
    }
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
