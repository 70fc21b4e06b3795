/** What the local names and ARNs of a template's resources are, for resolving intrinsic functions. */
export interface LocalNames {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** `Ref` of a resource. */
  ref(logicalId: string): string | undefined;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string): string | undefined;
}

/** Raised for an intrinsic function or reference the local runtime cannot resolve. */
export class UnresolvableTemplateError extends Error {
  override readonly name = 'UnresolvableTemplateError';
}

function pseudo(name: string, names: LocalNames): string | undefined {
  switch (name) {
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::Region':
      return names.region;
    case 'AWS::AccountId':
      return names.accountId;
    case 'AWS::StackName':
      return names.stackName;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NoValue':
      return undefined;
    default:
      return undefined;
  }
}

function resolveRef(name: string, names: LocalNames, where: string): string {
  const value = name.startsWith('AWS::') ? pseudo(name, names) : names.ref(name);
  if (value === undefined) throw new UnresolvableTemplateError(`${where}: cannot resolve Ref ${name}`);
  return value;
}

function resolveGetAtt(target: unknown, names: LocalNames, where: string): string {
  const [logicalId, attribute] = Array.isArray(target) ? (target as string[]) : String(target).split(/\.(.*)/s);
  const value = names.getAtt(logicalId, attribute);
  if (value === undefined) throw new UnresolvableTemplateError(`${where}: cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
  return value;
}

function resolveSub(arg: unknown, names: LocalNames, where: string): string {
  const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
  const resolvedVars = Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, String(resolveIntrinsics(v, names, where))]));
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_whole, literal: string, expr: string) => {
    if (literal) return `\${${expr}}`;
    if (expr in resolvedVars) return resolvedVars[expr];
    if (expr.includes('.')) return resolveGetAtt(expr, names, where);
    return resolveRef(expr, names, where);
  });
}

/**
 * Resolves `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select` and `Fn::Split` in a template value to local
 * names and ARNs. Any other intrinsic function is refused with an error naming it and where it was found.
 */
export function resolveIntrinsics(value: unknown, names: LocalNames, where = 'template'): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, names, where));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[key, arg]] = entries;
    switch (key) {
      case 'Ref':
        return resolveRef(String(arg), names, where);
      case 'Fn::GetAtt':
        return resolveGetAtt(arg, names, where);
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const resolved = resolveIntrinsics(parts, names, where) as unknown[];
        return resolved.map(String).join(separator);
      }
      case 'Fn::Sub':
        return resolveSub(arg, names, where);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolveIntrinsics(list, names, where) as unknown[];
        return items[Number(resolveIntrinsics(index, names, where))];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return String(resolveIntrinsics(source, names, where)).split(separator);
      }
      default:
        if (key.startsWith('Fn::') || key === 'Condition') {
          throw new UnresolvableTemplateError(`${where}: the local runtime does not resolve ${key}`);
        }
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, names, where)]));
}
