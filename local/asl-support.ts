/** Raised for a definition that uses something the local runtime does not emulate, before anything runs. */
export class UnsupportedDefinitionError extends Error {
  override readonly name = 'UnsupportedDefinitionError';
}

type State = Record<string, unknown>;

/**
 * State fields the local runtime does not emulate; running them anyway would give wrong results. Everything else of
 * the Amazon States Language (both query languages, Variables, every state type, Distributed Map over inline items)
 * is run by `local/engine`.
 */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  HeartbeatSeconds: 'HeartbeatSeconds (the local tasks send no heartbeats)',
  HeartbeatSecondsPath: 'HeartbeatSecondsPath (the local tasks send no heartbeats)',
  Credentials: 'cross-account Credentials',
  ItemReader: 'Distributed Map (ItemReader: items read from S3)',
  ResultWriter: 'Distributed Map (ResultWriter: results written to S3)',
};

/**
 * Checks that every state of a definition (nested Parallel branches and Map processors included) uses only what
 * the local runtime emulates, and that every Task's resource can be served locally.
 * @param isServed tells whether a Task resource has a local implementation
 * @throws UnsupportedDefinitionError naming the state and the feature
 */
export function assertSupported(
  definition: Record<string, unknown>,
  isServed: (resource: string) => boolean,
  machine = 'the state machine',
  path = '',
): void {
  const states = (definition.States ?? {}) as Record<string, State>;
  for (const [name, state] of Object.entries(states)) {
    const where = `${machine}: state ${path}${name}`;
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
