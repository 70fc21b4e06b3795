import { abortError, BranchAbortedError, StatesError } from '../errors';
import { HistoryCursor } from '../history';
import { withRetryAndCatch } from '../retry';
import type { StateRun } from '../state-run';
import type { StateOutcome } from '../types';
import { defaultNext } from './next';

/** Parallel: runs every branch on the same input; the first failure stops the others and fails the state. */
export async function runParallel(run: StateRun): Promise<StateOutcome> {
  const def = run.def;
  const recorder = run.frame.recorder;
  return withRetryAndCatch(
    run,
    async () => {
      const input = await run.argumentsOrParameters();
      const startedId = recorder.add(run.frame.cursor, 'ParallelStateStarted');
      const branches = def.Branches ?? [];
      const controller = new AbortController();
      const onParentAbort = () => controller.abort(run.signal.reason);
      run.signal.addEventListener('abort', onParentAbort, { once: true });
      let firstFailure: Error | undefined;
      try {
        const settled = await Promise.allSettled(
          branches.map(async (branch) => {
            try {
              return await run.services.runStates(branch, input, {
                scope: run.frame.scope.child(),
                cursor: new HistoryCursor(startedId),
                recorder,
                signal: controller.signal,
                queryLanguage: run.frame.queryLanguage,
              });
            } catch (err: unknown) {
              if (firstFailure === undefined && !(err instanceof BranchAbortedError)) {
                firstFailure = err instanceof Error ? err : new Error(String(err));
                controller.abort(new BranchAbortedError());
              }
              throw err;
            }
          }),
        );
        if (firstFailure !== undefined) throw firstFailure;
        if (run.signal.aborted) throw abortError(run.signal);
        run.frame.cursor.last = recorder.lastId;
        const results = settled.map((s) => (s.status === 'fulfilled' ? s.value : null));
        const done = await run.finish(run.input, results, { resultSelector: true });
        return { ...done, next: defaultNext(def) };
      } finally {
        run.signal.removeEventListener('abort', onParentAbort);
      }
    },
    (err: StatesError) => {
      run.frame.cursor.last = recorder.lastId;
      if (err.name !== 'States.Runtime') recorder.add(run.frame.cursor, 'ParallelStateFailed');
    },
  );
}
