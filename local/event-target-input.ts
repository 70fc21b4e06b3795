import { InvalidTargetInputError } from './event-errors';

/**
 * What a rule's target receives, as EventBridge computes it: the whole event by default, a constant (`Input`), a
 * part of the event (`InputPath`), or a template filled from the event (`InputTransformer`). At most one of the
 * three is set (the rule reader checks).
 */
export interface TargetInputSpec {
  /** Constant JSON text sent instead of the event. @default - the event */
  readonly input?: string;
  /** A JSONPath into the event (`$.detail`); the part it selects is sent. @default - the event */
  readonly inputPath?: string;
  /** A template filled with values picked from the event. @default - the event */
  readonly inputTransformer?: InputTransformer;
}

/** `InputTransformer`: variables picked by JSONPath from the event, and the template they fill. */
export interface InputTransformer {
  /** Variable name → JSONPath into the event. @default {} */
  readonly inputPathsMap?: Readonly<Record<string, string>>;
  /** The text sent, with `<variable>` placeholders (and the reserved `<aws.events.*>` ones). */
  readonly inputTemplate: string;
}

/** The rule a target belongs to, for the reserved `<aws.events.*>` template variables. */
export interface InputTransformContext {
  readonly ruleName: string;
  readonly ruleArn: string;
  /** When the bus received the event (`<aws.events.event.ingestion-time>`), ISO 8601. */
  readonly ingestionTime: string;
}

/** The reserved variables an `InputTemplate` may use without declaring them. */
export const RESERVED_TEMPLATE_VARIABLES = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
] as const;

type PathSegment = string | number;

/**
 * Parses the JSONPath EventBridge accepts in `InputPath` and `InputPathsMap`: `$`, then `.field` (any characters but
 * `.` and `[`, so `$.detail-type` works) or `[index]` / `['field']` steps. Wildcards, recursive descent and filters
 * are refused with an error message (EventBridge accepts only these simple paths).
 *
 * @example
 * parseEventPath('$.detail.items[0].sku'); // ['detail', 'items', 0, 'sku']
 */
export function parseEventPath(path: string): PathSegment[] {
  if (!path.startsWith('$')) throw new InvalidTargetInputError(`JSONPath "${path}" must start with $`);
  const segments: PathSegment[] = [];
  const step = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]/y;
  let at = 1;
  while (at < path.length) {
    step.lastIndex = at;
    const found = step.exec(path);
    if (!found || found[0].length === 0 || found[1] === '*' || found[1] === '') {
      throw new InvalidTargetInputError(`JSONPath "${path}" is not a simple path EventBridge accepts (at character ${at}: "${path.slice(at)}")`);
    }
    segments.push(found[2] !== undefined ? Number(found[2]) : (found[1] ?? found[3]));
    at = step.lastIndex;
  }
  return segments;
}

const MISSING = Symbol('missing');

/** The value a parsed path selects in an event, or `MISSING`. */
function select(event: unknown, segments: readonly PathSegment[]): unknown {
  let node: unknown = event;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length) return MISSING;
      node = (node as unknown[])[segment];
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, segment)) return MISSING;
      node = (node as Record<string, unknown>)[segment];
    }
  }
  return node;
}

/** Inside a JSON string: the value's text, escaped so the string stays valid JSON. */
function asStringContent(value: unknown): string {
  if (value === MISSING) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text).slice(1, -1);
}

/** Outside a string: the value as JSON (a string keeps its quotes). */
function asJson(value: unknown): string {
  return value === MISSING ? 'null' : JSON.stringify(value);
}

/**
 * Fills an `InputTemplate` as EventBridge does: a `<variable>` inside a JSON string is replaced by the value's text
 * (a string without its quotes, anything else as JSON); outside a string by the value as JSON (a string with its
 * quotes). `<aws.events.event>` and `<aws.events.event.json>` are the whole event, `<aws.events.rule-name>`,
 * `<aws.events.rule-arn>` and `<aws.events.event.ingestion-time>` what they say. A `<word>` that is neither a
 * declared nor a reserved variable is left as written.
 *
 * Differences from AWS (not verifiable offline): a variable whose path is not in the event becomes `null` outside a
 * string and nothing inside one; a string value inserted inside a string is JSON-escaped, so quotes in it cannot
 * break the JSON.
 *
 * @example
 * fillInputTemplate(
 *   { inputPathsMap: { status: '$.detail.status' }, inputTemplate: '{"status": <status>, "text": "ended <status>"}' },
 *   { detail: { status: 'ABORTED' } },
 *   { ruleName: 'recover', ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/recover', ingestionTime: '2026-01-01T00:00:00Z' },
 * ); // '{"status": "ABORTED", "text": "ended ABORTED"}'
 */
export function fillInputTemplate(transformer: InputTransformer, event: unknown, context: InputTransformContext): string {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.inputPathsMap ?? {})) values.set(name, select(event, parseEventPath(path)));
  values.set('aws.events.rule-arn', context.ruleArn);
  values.set('aws.events.rule-name', context.ruleName);
  values.set('aws.events.event.ingestion-time', context.ingestionTime);
  values.set('aws.events.event', event);
  values.set('aws.events.event.json', event);

  const template = transformer.inputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (inString && c === '\\') {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '<') {
      const close = template.indexOf('>', i + 1);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (values.has(name)) {
        const value = values.get(name);
        out += inString ? asStringContent(value) : asJson(value);
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/**
 * The text a target receives for an event: the event's JSON by default, `Input` as written, the JSON of what
 * `InputPath` selects, or the filled `InputTemplate`. Throws {@link InvalidTargetInputError} when `InputPath`
 * selects nothing.
 *
 * @example
 * targetInputText({ inputPath: '$.detail' }, event, context); // JSON text of event.detail
 */
export function targetInputText(spec: TargetInputSpec, event: unknown, context: InputTransformContext): string {
  if (spec.input !== undefined) return spec.input;
  if (spec.inputPath !== undefined) {
    const value = select(event, parseEventPath(spec.inputPath));
    if (value === MISSING) throw new InvalidTargetInputError(`InputPath ${spec.inputPath} selects nothing in the event`);
    return JSON.stringify(value);
  }
  if (spec.inputTransformer !== undefined) return fillInputTemplate(spec.inputTransformer, event, context);
  return JSON.stringify(event);
}
