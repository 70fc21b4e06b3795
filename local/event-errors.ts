import { TemplateResourceError, UnsupportedTemplateFeatureError } from './template-errors';

/**
 * Errors of the local EventBridge emulation (event patterns, rules read from the template, target inputs and
 * deliveries). Each class sets `name` to a literal, so minification cannot change it.
 *
 * Two families, on purpose: an *invalid* thing is something AWS itself would reject (CloudFormation would fail to
 * create the rule); an *unsupported* thing is valid on AWS but not emulated locally, and is refused by name instead
 * of being run wrongly or silently dropped.
 */

/**
 * An event pattern AWS would reject (a leaf that is not an array, an unknown operator, a malformed `numeric` range…).
 *
 * @example
 * try {
 *   validateEventPattern({ source: 'aws.states' });
 * } catch (err: unknown) {
 *   if (err instanceof InvalidEventPatternError) console.error(err.message); // names the path: source
 * }
 */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';

  constructor(
    message: string,
    /** Where in the pattern, as a dotted path (`detail.status[1]`). */
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An `AWS::Events::Rule` that AWS would reject (for example a target with both `Input` and `InputPath`, or an
 * `Input` that is not JSON).
 *
 * @example
 * expect(() => resolveEventRules(resources, { names })).toThrow(InvalidEventRuleError);
 */
export class InvalidEventRuleError extends TemplateResourceError {
  override readonly name = 'InvalidEventRuleError';
}

/**
 * An `AWS::Events::Rule` valid on AWS that the local runtime does not emulate: a `ScheduleExpression`, a target
 * kind it does not serve (SNS, Kinesis, an API destination, another bus…), an event bus or a target in another
 * account or region, a target parameter it does not honour. The message names the rule and the feature.
 *
 * @example
 * try {
 *   resolveEventRules(resources, { names });
 * } catch (err: unknown) {
 *   if (err instanceof UnsupportedEventRuleError) console.error(`${err.logicalId}: ${err.feature}`);
 * }
 */
export class UnsupportedEventRuleError extends UnsupportedTemplateFeatureError {
  override readonly name = 'UnsupportedEventRuleError';
}

/**
 * A target's input could not be built for an event, or is not what the target accepts (a transformed input that is
 * not JSON, for a state machine or a Lambda function). Not retried: the same event gives the same input.
 *
 * @example
 * bus = new LocalEventBus({ rules, dispatcher, onTargetError: (failure) => {
 *   if (failure.error instanceof InvalidTargetInputError) console.error(failure.error.message);
 * } });
 */
export class InvalidTargetInputError extends Error {
  override readonly name = 'InvalidTargetInputError';
}

/**
 * A target failed for good: every attempt the rule's retry policy allows failed. `cause` holds the last error.
 *
 * @example
 * const bus = new LocalEventBus({ rules, dispatcher, onTargetError: (failure) => console.error(failure.error.message) });
 */
export class EventTargetDeliveryError extends Error {
  override readonly name = 'EventTargetDeliveryError';

  constructor(
    message: string,
    /** The rule's name. */
    readonly ruleName: string,
    /** The target's `Id`. */
    readonly targetId: string,
    /** How many times delivery was attempted. */
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An event the bus cannot accept, as `PutEvents` would refuse it (no `source`, no `detail-type`, a `detail` that is
 * not an object).
 *
 * @example
 * expect(() => bus.put({ detail: {} } as never)).toThrow(InvalidEventError);
 */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/**
 * An `AWS::Pipes::Pipe` valid on AWS that the local runtime does not emulate: a source other than a DynamoDB
 * table's stream of this stack, an enrichment, a target other than an event bus of this stack, a dynamic path in a
 * target parameter, an `EndpointId`… The message names the pipe and the feature.
 *
 * @example
 * expect(() => resolvePipes(resources, names)).toThrow(UnsupportedPipeError);
 */
export class UnsupportedPipeError extends UnsupportedTemplateFeatureError {
  override readonly name = 'UnsupportedPipeError';
}

/** An `AWS::Pipes::Pipe` that AWS would refuse too (a filter pattern that is not a valid event pattern…). */
export class InvalidPipeError extends TemplateResourceError {
  override readonly name = 'InvalidPipeError';
}
