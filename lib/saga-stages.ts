/** What the staging needs of a step: its name and the steps it waits for. */
export interface StagedStep {
  readonly name: string;
  readonly dependsOn?: readonly string[];
}

/**
 * Orders a saga's steps into stages: a step runs in the stage after the last of its dependencies, so the steps of
 * one stage depend only on earlier stages and can run side by side. Within a stage, steps keep their order in the
 * list. A step without `dependsOn` depends on the step listed before it (none for the first), so a plain list is a
 * chain of one-step stages.
 *
 * Throws, naming the culprit, on a dependency on an unknown step or on the step itself, and on a cycle.
 *
 * @example
 * stagesOf([{ name: 'A' }, { name: 'B' }, { name: 'C', dependsOn: ['A'] }, { name: 'D', dependsOn: ['B', 'C'] }]);
 * // [[A], [B, C], [D]]
 */
export function stagesOf<S extends StagedStep>(steps: readonly S[]): S[][] {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const dependencies = (step: S, i: number): readonly string[] => step.dependsOn ?? (i === 0 ? [] : [steps[i - 1].name]);
  for (const [i, step] of steps.entries()) {
    for (const dependency of dependencies(step, i)) {
      if (dependency === step.name) throw new Error(`Saga: step ${step.name} depends on itself`);
      if (!byName.has(dependency)) throw new Error(`Saga: step ${step.name} depends on ${dependency}, which is not a step of the saga`);
    }
  }
  const stageOf = new Map<string, number>();
  const visiting: string[] = [];
  const place = (step: S): number => {
    const known = stageOf.get(step.name);
    if (known !== undefined) return known;
    if (visiting.includes(step.name)) {
      const cycle = [...visiting.slice(visiting.indexOf(step.name)), step.name];
      throw new Error(`Saga: the dependencies of ${step.name} form a cycle: ${cycle.join(' → ')}`);
    }
    visiting.push(step.name);
    const i = steps.indexOf(step);
    const stage = Math.max(-1, ...dependencies(step, i).map((d) => place(byName.get(d)!))) + 1;
    visiting.pop();
    stageOf.set(step.name, stage);
    return stage;
  };
  const stages: S[][] = [];
  for (const step of steps) {
    const stage = place(step);
    (stages[stage] ??= []).push(step);
  }
  return stages;
}

/** The name of a stage's Parallel state: its steps' names joined by `And` (`ChargePaymentAndScheduleShipment`). */
export function stageStateName(stage: readonly StagedStep[]): string {
  return stage.map((s) => s.name).join('And');
}

/** What the path of a saga is computed from: its steps (with their compensations' names) and its failure step. */
export interface SagaShape {
  readonly steps: readonly (StagedStep & { readonly compensation?: { readonly name: string } })[];
  readonly onFailure: { readonly name: string };
}

/** How a saga fails, for {@link sagaPath}. */
export interface SagaPathFailure {
  /** The step that fails. */
  readonly step: string;
  /** A business rejection (committed nothing) rather than any other error. */
  readonly rejected: boolean;
  /** Compensations that fail for good (and are recorded on the queue). @default - none */
  readonly failingCompensations?: readonly string[];
}

/**
 * The states a saga's execution enters, by the rules of the `Saga` construct: every stage in turn (a stage of
 * several steps as its Parallel state, then its steps in order, all entered at once, then the failed step's
 * `<Step>Failed`); on a failure, the compensations of the steps that may have committed, latest stage first, then
 * the failure step and the end state. Only one step fails.
 */
export function sagaPath(saga: SagaShape, failure?: SagaPathFailure): string[] {
  const stages = stagesOf(saga.steps);
  const path: string[] = [];
  let unwindFrom = stages.length;
  for (const [k, stage] of stages.entries()) {
    if (stage.length > 1) path.push(stageStateName(stage));
    // The branches of a stage enter their steps at once; a branch's Fail state comes once its step has failed.
    path.push(...stage.map((s) => s.name));
    if (stage.length > 1 && stage.some((s) => s.name === failure?.step)) path.push(`${failure!.step}Failed`);
    if (stage.some((s) => s.name === failure?.step)) {
      unwindFrom = failure!.rejected && stage.length === 1 ? k : k + 1;
      break;
    }
  }
  if (!failure) return path;
  let compensationFailed = false;
  const compensate = (name: string) => {
    path.push(name);
    if (failure.failingCompensations?.includes(name)) {
      path.push(`Record${name}Failure`);
      compensationFailed = true;
    }
  };
  for (const stage of stages.slice(0, unwindFrom).reverse()) {
    for (const step of [...stage].reverse()) if (step.compensation) compensate(step.compensation.name);
  }
  compensate(saga.onFailure.name);
  path.push('CheckCompensations', compensationFailed ? 'SagaCompensationFailed' : 'SagaCompensated');
  return path;
}
