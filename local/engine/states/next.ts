import type { StateDefinition } from '../types';

/** The state a non-Choice state goes to on success: `Next`, or undefined when it has `End`. */
export function defaultNext(def: StateDefinition): string | undefined {
  return def.End ? undefined : def.Next;
}
