/** Raised for a definition that uses something the local interpreter does not run faithfully. */
export class UnsupportedDefinitionError extends Error {
  override readonly name = 'UnsupportedDefinitionError';
}

type State = Record<string, unknown>;

/** Fields the local interpreter ignores or cannot run; running them anyway would give wrong results. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  Assign: 'Variables (Assign)',
  Arguments: 'JSONata (Arguments)',
  Output: 'JSONata (Output)',
  HeartbeatSeconds: 'HeartbeatSeconds',
  HeartbeatSecondsPath: 'HeartbeatSecondsPath',
  Credentials: 'cross-account Credentials',
  ItemReader: 'Distributed Map (ItemReader)',
  ResultWriter: 'Distributed Map (ResultWriter)',
  ItemBatcher: 'Distributed Map (ItemBatcher)',
  ToleratedFailurePercentage: 'Distributed Map (ToleratedFailurePercentage)',
  ToleratedFailureCount: 'Distributed Map (ToleratedFailureCount)',
};

/**
 * Checks that every state of a definition (nested Parallel branches and Map processors included) uses only what
 * the local interpreter supports, and that every Task's resource can be served locally.
 * @param isServed tells whether a Task resource has a local implementation
 * @throws UnsupportedDefinitionError naming the state and the feature
 */
export function assertSupported(
  definition: Record<string, unknown>,
  isServed: (resource: string) => boolean,
  machine = 'the state machine',
  path = '',
): void {
  if (definition.QueryLanguage === 'JSONata') {
    throw new UnsupportedDefinitionError(`${machine}${path ? ` (${path})` : ''} uses JSONata (QueryLanguage: JSONata); the local runtime runs JSONPath only`);
  }
  const states = (definition.States ?? {}) as Record<string, State>;
  for (const [name, state] of Object.entries(states)) {
    const where = `${machine}: state ${path}${name}`;
    if (state.QueryLanguage === 'JSONata') {
      throw new UnsupportedDefinitionError(`${where} uses JSONata (QueryLanguage: JSONata); the local runtime runs JSONPath only`);
    }
    for (const [field, feature] of Object.entries(UNSUPPORTED_FIELDS)) {
      if (field in state) throw new UnsupportedDefinitionError(`${where} uses ${feature}, which the local runtime does not support`);
    }
    if (state.Type === 'Task') {
      const resource = String(state.Resource);
      if (/\.(waitForTaskToken|sync(:2)?)$/.test(resource)) {
        throw new UnsupportedDefinitionError(`${where} uses the ${resource.split('.').pop()} integration pattern, which the local runtime does not support`);
      }
      if (!isServed(resource)) throw new UnsupportedDefinitionError(`${where} calls ${resource}, which the local runtime does not serve`);
    }
    if (state.Type === 'Parallel') {
      (state.Branches as Record<string, unknown>[]).forEach((branch, i) => assertSupported(branch, isServed, machine, `${path}${name}[branch ${i}].`));
    }
    if (state.Type === 'Map') {
      assertSupported((state.ItemProcessor ?? state.Iterator) as Record<string, unknown>, isServed, machine, `${path}${name}.`);
    }
  }
}
