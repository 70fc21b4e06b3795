import type { StateRun } from '../state-run';
import type { StateOutcome } from '../types';
import { defaultNext } from './next';

/** Pass: JSONPath gives `Result` (or the Parameters/InputPath-filtered input); JSONata passes its input to Output. */
export async function runPass(run: StateRun): Promise<StateOutcome> {
  const def = run.def;
  if (run.language === 'JSONata') {
    const done = await run.finish(run.input, run.input);
    return { ...done, next: defaultNext(def) };
  }
  const effective = run.applyInputPath(run.input);
  const parameters = def.Parameters !== undefined ? run.resolvePayload(def.Parameters, effective) : effective;
  const result = 'Result' in def ? def.Result : parameters;
  const done = await run.finish(run.input, result);
  return { ...done, next: defaultNext(def) };
}
