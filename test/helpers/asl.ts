import { Template } from 'aws-cdk-lib/assertions';

/** The parts of an ASL state that the graph walk reads. */
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultPath?: string | null;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string; Assign?: Record<string, unknown> }[];
  Choices?: { Variable?: string; IsPresent?: boolean; Condition?: string; Next: string; And?: unknown[]; Assign?: Record<string, unknown> }[];
  Arguments?: Record<string, unknown>;
  Assign?: Record<string, unknown>;
  Output?: unknown;
  QueryLanguage?: string;
  ResultSelector?: Record<string, unknown>;
  Default?: string;
  Error?: string;
  Cause?: string;
  CausePath?: string;
  ErrorPath?: string;
  TimeoutSeconds?: number;
  Branches?: { StartAt: string; States: Record<string, AslState> }[];
}

export interface AslDefinition {
  StartAt: string;
  QueryLanguage?: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

/**
 * A state machine's definition from a synthesized template, with CloudFormation tokens flattened to strings: the
 * first one, or the first whose logical id starts with `logicalIdPrefix`.
 */
export function stateMachineDefinition(template: Template, logicalIdPrefix = ''): AslDefinition {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.entries(machines)
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .map(([, m]) => m) as { Properties: { DefinitionString: unknown } }[];
  const body = machine.Properties.DefinitionString;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '${Token}')).join('');
  return JSON.parse(text) as AslDefinition;
}

/** What a walk meets: each Task state either succeeds or throws the named error on every attempt. */
export type Outcomes = Readonly<Record<string, string | undefined>>;

export interface Walk {
  /** The states entered, in order. */
  readonly path: string[];
  /** The final state's error (`Fail`), or undefined when the execution succeeded. */
  readonly error?: string;
}

function matches(errorEquals: readonly string[], error: string): boolean {
  return errorEquals.includes(error) || errorEquals.includes('States.ALL') || (errorEquals.includes('States.TaskFailed') && error !== 'States.Timeout');
}

/**
 * Follows the definition as a graph, the way Step Functions would route the given outcomes: `Next`, `End`, the
 * first matching `Catch`, and Choices whose JSONata condition is one variable (`{% $name %}`) that a catcher's
 * `Assign` set to `true`. Retries are taken to be exhausted (each outcome is permanent). A Parallel state enters
 * every branch at once (the path holds the Parallel's name, each branch's first state in order, then the rest of
 * each branch in order); the first branch that ends in an error fails the Parallel with it.
 */
export function walk(definition: AslDefinition, outcomes: Outcomes): Walk {
  return walkStates(definition, outcomes, new Set<string>());
}

function walkStates(graph: { StartAt: string; States: Record<string, AslState> }, outcomes: Outcomes, trueVariables: Set<string>): Walk {
  const path: string[] = [];
  let name: string | undefined = graph.StartAt;
  for (let guard = 0; name !== undefined && guard < 100; guard++) {
    const state: AslState = graph.States[name];
    if (!state) throw new Error(`walk: state ${name} does not exist`);
    path.push(name);
    if (state.Type === 'Fail') return { path, error: state.Error };
    if (state.Type === 'Succeed') return { path };
    if (state.Type === 'Choice') {
      const choice = state.Choices?.find((c) => trueVariables.has(/^\{% \$(\w+) %\}$/.exec(c.Condition ?? '')?.[1] ?? ''));
      name = choice?.Next ?? state.Default;
      continue;
    }
    let error = state.Type === 'Task' ? outcomes[name] : undefined;
    if (state.Type === 'Parallel') {
      // Every branch enters its first state at once; what follows in a branch comes later.
      const ran = (state.Branches ?? []).map((branch) => walkStates(branch, outcomes, trueVariables));
      path.push(...ran.map((r) => r.path[0]), ...ran.flatMap((r) => r.path.slice(1)));
      error = ran.find((r) => r.error !== undefined)?.error;
    }
    if (error !== undefined) {
      const catcher = state.Catch?.find((c) => matches(c.ErrorEquals, error));
      if (!catcher) return { path, error };
      for (const [variable, value] of Object.entries(catcher.Assign ?? {})) if (value === true) trueVariables.add(variable);
      name = catcher.Next;
      continue;
    }
    if (state.End) return { path };
    name = state.Next;
  }
  throw new Error('walk: no end after 100 states');
}

/** Every state of a definition, those inside Parallel branches included, by name (state names are unique). */
export function allStates(definition: { States: Record<string, AslState> }): Record<string, AslState> {
  const out: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    out[name] = state;
    for (const branch of state.Branches ?? []) Object.assign(out, allStates(branch));
  }
  return out;
}
