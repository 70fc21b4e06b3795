import { jsonSizeBound } from '../json-size';
import type { StateRun } from '../state-run';
import type { StateOutcome } from '../types';

/** Succeed: ends its branch with its (filtered) input. */
export async function runSucceed(run: StateRun): Promise<StateOutcome> {
  if (run.language === 'JSONata') {
    const output = 'Output' in run.def ? await run.evaluateField(run.def.Output, 'Output', { input: run.input }) : run.input;
    return { ...run.commit(output, undefined), next: undefined };
  }
  const output = run.applyOutputPath(run.applyInputPath(run.input));
  return { ...run.commit(output, undefined, jsonSizeBound(run.input)), next: undefined };
}
