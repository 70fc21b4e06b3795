/**
 * The shapes shared by the local emulations' errors about the template (event rules, pipes, the REST API). Each
 * concrete error, in its emulation's errors module, sets `name` to a literal, so minification cannot change it.
 */

/** A resource of the template, named by its logical id, that an emulation refuses. */
export abstract class TemplateResourceError extends Error {
  constructor(
    message: string,
    /** The resource's logical id in the template. */
    readonly logicalId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A resource valid on AWS that uses a feature the local runtime does not emulate: refused by name, never run wrongly. */
export abstract class UnsupportedTemplateFeatureError extends TemplateResourceError {
  constructor(
    message: string,
    logicalId: string,
    /** The unsupported feature, as the template spells it (`ScheduleExpression`, `Enrichment`, `Integration.Type MOCK`…). */
    readonly feature: string,
    options?: ErrorOptions,
  ) {
    super(message, logicalId, options);
  }
}
