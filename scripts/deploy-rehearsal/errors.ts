/**
 * The deploy rehearsal's errors. Each sets `name` to a literal, so minification cannot change it; the entry point
 * maps them to exit codes (a missing prerequisite is 2, anything else 1).
 */

/** Something the rehearsal needs on this machine is absent (moto_server, a Python with moto and boto3, cdklocal). */
export class PrerequisiteMissing extends Error {
  override readonly name = 'PrerequisiteMissing';
}

/** moto_server exited, or did not answer on its port in time. */
export class MotoServerDidNotStart extends Error {
  override readonly name = 'MotoServerDidNotStart';
}

/** A command of the rehearsal (`cdklocal synth`, the inspector) failed in a way that leaves nothing to check. */
export class RehearsalStepFailed extends Error {
  override readonly name = 'RehearsalStepFailed';
}
