/** The shapes of an Amazon States Language definition, as far as the engine reads them. */

/** Query language of a state machine or a state. */
export type QueryLanguage = 'JSONPath' | 'JSONata';

/** A Retry entry. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
  readonly Comment?: string;
}

/** A Catch entry. */
export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
  readonly Output?: unknown;
  readonly Assign?: Readonly<Record<string, unknown>>;
  readonly Comment?: string;
}

/** A Choice rule (JSONPath: a comparison, And/Or/Not; JSONata: Condition). */
export interface ChoiceRule {
  readonly Next?: string;
  readonly Variable?: string;
  readonly Condition?: unknown;
  readonly And?: readonly ChoiceRule[];
  readonly Or?: readonly ChoiceRule[];
  readonly Not?: ChoiceRule;
  readonly Assign?: Readonly<Record<string, unknown>>;
  readonly Output?: unknown;
  readonly [operator: string]: unknown;
}

/** A Map's ItemProcessor (or legacy Iterator). */
export interface ProcessorDefinition extends StateMachineDefinition {
  readonly ProcessorConfig?: { readonly Mode?: 'INLINE' | 'DISTRIBUTED'; readonly ExecutionType?: 'STANDARD' | 'EXPRESS' };
}

/** One state. Fields not used by its type are ignored. */
export interface StateDefinition {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Comment?: string;
  readonly QueryLanguage?: QueryLanguage;
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
  readonly ResultPath?: string | null;
  readonly Parameters?: unknown;
  readonly ResultSelector?: unknown;
  readonly Result?: unknown;
  readonly Arguments?: unknown;
  readonly Output?: unknown;
  readonly Assign?: Readonly<Record<string, unknown>>;
  readonly Resource?: string;
  readonly TimeoutSeconds?: unknown;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: unknown;
  readonly HeartbeatSecondsPath?: string;
  readonly Credentials?: unknown;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  readonly Choices?: readonly ChoiceRule[];
  readonly Default?: string;
  readonly Seconds?: unknown;
  readonly SecondsPath?: string;
  readonly Timestamp?: unknown;
  readonly TimestampPath?: string;
  readonly Error?: unknown;
  readonly ErrorPath?: string;
  readonly Cause?: unknown;
  readonly CausePath?: string;
  readonly Branches?: readonly StateMachineDefinition[];
  readonly ItemProcessor?: ProcessorDefinition;
  readonly Iterator?: ProcessorDefinition;
  readonly ItemsPath?: string;
  readonly Items?: unknown;
  readonly ItemSelector?: unknown;
  readonly ItemReader?: unknown;
  readonly ItemBatcher?: {
    readonly MaxItemsPerBatch?: unknown;
    readonly MaxItemsPerBatchPath?: string;
    readonly MaxInputBytesPerBatch?: unknown;
    readonly MaxInputBytesPerBatchPath?: string;
    readonly BatchInput?: unknown;
  };
  readonly ResultWriter?: unknown;
  readonly MaxConcurrency?: unknown;
  readonly MaxConcurrencyPath?: string;
  readonly ToleratedFailureCount?: unknown;
  readonly ToleratedFailureCountPath?: string;
  readonly ToleratedFailurePercentage?: unknown;
  readonly ToleratedFailurePercentagePath?: string;
  readonly Label?: string;
}

/** A state machine (or a Parallel branch). */
export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, StateDefinition>>;
  readonly QueryLanguage?: QueryLanguage;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
  readonly Version?: string;
}

/** Where a state goes after it succeeds. */
export interface StateOutcome {
  readonly output: unknown;
  /** The next state; undefined when the state ends its branch. */
  readonly next: string | undefined;
  /** Variables assigned by the state (for the StateExited event). */
  readonly assigned?: Readonly<Record<string, unknown>>;
}

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** Whether a value is a plain (non-array) object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
