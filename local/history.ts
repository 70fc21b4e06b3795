/**
 * Execution history of the local runtime: the engine's events, shaped like Step Functions' `GetExecutionHistory`
 * (see `local/engine/history.ts`), and what the runtime reads from them.
 */
import type { HistoryEvent } from './engine';

export type { HistoryEvent } from './engine';

/** The states an execution entered, in order: the name of every `<Type>StateEntered` event. */
export function statesEntered(history: readonly HistoryEvent[]): string[] {
  const path: string[] = [];
  for (const event of history) {
    if (!event.type.endsWith('StateEntered')) continue;
    const details = event.stateEnteredEventDetails as { readonly name?: unknown } | undefined;
    if (typeof details?.name === 'string') path.push(details.name);
  }
  return path;
}
