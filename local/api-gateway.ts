import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnsupportedApiError } from './api-errors';
import type { CfnResource } from './cloud-assembly';
import { localNamesFromStack } from './event-rules';
import { resolveIntrinsics } from './intrinsics';
import type { LocalStack } from './local-stack';

/** One method of a REST API, as the local runtime serves it: a Lambda proxy integration. */
export interface LocalApiRoute {
  /** The method's logical id. */
  readonly logicalId: string;
  /** `GET`, `POST`…, or `ANY`. */
  readonly httpMethod: string;
  /** The resource path as API Gateway writes it: `/orders/{orderId}`. */
  readonly resourcePath: string;
  /** `NONE` or `AWS_IAM`. */
  readonly authorizationType: 'NONE' | 'AWS_IAM';
  /** The function the proxy integration invokes. */
  readonly functionArn: string;
}

/** A REST API from the template, resolved to local functions. */
export interface LocalRestApi {
  readonly logicalId: string;
  readonly stageName: string;
  readonly routes: readonly LocalApiRoute[];
  /** The stage's `/*\/*` throttling, read and reported but not enforced locally. */
  readonly throttling?: { readonly rateLimit?: number; readonly burstLimit?: number };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template value that should be a literal string, or `fallback`. */
const str = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : value === undefined ? fallback : JSON.stringify(value));

const refOf = (value: unknown): string | undefined => (isObject(value) && typeof value.Ref === 'string' ? value.Ref : undefined);

/**
 * Reads the template's REST API (`AWS::ApiGateway::RestApi` and its `Resource`, `Method` and `Stage` resources).
 * Emulated: resources with `{variable}` path parts, methods with `AuthorizationType` `NONE` or `AWS_IAM` and an
 * `AWS_PROXY` integration with one of the stack's Lambda functions, the stage's name. Refused by name
 * ({@link UnsupportedApiError}): any other integration type (`AWS` service integrations with mapping templates,
 * `HTTP`, `HTTP_PROXY`, `MOCK`), custom and Cognito authorizers, API keys, request validators, greedy path variables
 * (`{proxy+}`), OpenAPI bodies, more than one REST API. Returns undefined when the stack has none.
 *
 * @example
 * const api = resolveRestApi(runtime.resources, runtime.stack);
 * api?.routes.map((r) => `${r.httpMethod} /${api.stageName}${r.resourcePath}`); // ['POST /prod/orders', …]
 */
export function resolveRestApi(resources: Readonly<Record<string, CfnResource>>, stack: LocalStack): LocalRestApi | undefined {
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const apis = of('AWS::ApiGateway::RestApi');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new UnsupportedApiError(`the stack has ${apis.length} REST APIs; the local runtime serves one`, apis[1][0], 'a second RestApi');
  const [apiId, api] = apis[0];
  for (const key of ['Body', 'BodyS3Location', 'CloneFrom']) {
    if (api.Properties?.[key] !== undefined) throw new UnsupportedApiError(`${apiId}: an API described by ${key} is not emulated locally`, apiId, key);
  }

  const paths = new Map<string, string>();
  const pathOf = (resourceId: unknown, where: string): string => {
    if (isObject(resourceId) && Array.isArray(resourceId['Fn::GetAtt']) && resourceId['Fn::GetAtt'][1] === 'RootResourceId') return '/';
    const ref = refOf(resourceId);
    const resource = ref ? resources[ref] : undefined;
    if (!ref || resource?.Type !== 'AWS::ApiGateway::Resource') throw new UnsupportedApiError(`${where}: cannot resolve resource ${JSON.stringify(resourceId)}`, where, 'ResourceId');
    const known = paths.get(ref);
    if (known) return known;
    const part = str(resource.Properties?.PathPart, '');
    if (/^\{.+\+\}$/.test(part)) throw new UnsupportedApiError(`${ref}: the greedy path variable ${part} is not emulated locally`, ref, `PathPart ${part}`);
    const parent = pathOf(resource.Properties?.ParentId, ref);
    const path = `${parent === '/' ? '' : parent}/${part}`;
    paths.set(ref, path);
    return path;
  };

  const names = localNamesFromStack(stack, resources);
  const served = new Set(stack.functions.map((f) => f.arn));
  const routes = of('AWS::ApiGateway::Method').map(([logicalId, method]): LocalApiRoute => {
    const p = method.Properties ?? {};
    const refuse = (feature: string, why: string): never => {
      throw new UnsupportedApiError(`method ${logicalId}: ${feature} is not emulated locally (${why})`, logicalId, feature);
    };
    const authorization = str(p.AuthorizationType, 'NONE');
    if (authorization !== 'NONE' && authorization !== 'AWS_IAM') refuse(`AuthorizationType ${authorization}`, 'only NONE and AWS_IAM');
    if (p.ApiKeyRequired === true) refuse('ApiKeyRequired', 'API keys and usage plans are not emulated');
    if (p.RequestValidatorId !== undefined) refuse('RequestValidatorId', 'request validation against models is not emulated');
    const integration = isObject(p.Integration) ? p.Integration : {};
    if (integration.Type !== 'AWS_PROXY') {
      refuse(`Integration.Type ${String(integration.Type)}`, 'only Lambda proxy integrations (AWS_PROXY) are served; service integrations would need mapping templates');
    }
    const uri = String(resolveIntrinsics(integration.Uri, names, logicalId));
    const functionArn = /:lambda:path\/2015-03-31\/functions\/(arn:[^/]+)\/invocations$/.exec(uri)?.[1];
    if (!functionArn || !served.has(functionArn)) refuse('Integration.Uri', `only the stack's own Lambda functions; got ${uri}`);
    return {
      logicalId,
      httpMethod: str(p.HttpMethod, 'ANY').toUpperCase(),
      resourcePath: pathOf(p.ResourceId, logicalId),
      authorizationType: authorization as 'NONE' | 'AWS_IAM',
      functionArn: functionArn!,
    };
  });

  const stage = of('AWS::ApiGateway::Stage').find(([, s]) => refOf(s.Properties?.RestApiId) === apiId)?.[1];
  const deployment = of('AWS::ApiGateway::Deployment').find(([, d]) => refOf(d.Properties?.RestApiId) === apiId)?.[1];
  const stageName = str(stage?.Properties?.StageName ?? deployment?.Properties?.StageName, 'prod');
  const settings = (Array.isArray(stage?.Properties?.MethodSettings) ? (stage.Properties.MethodSettings as unknown[]) : [])
    .filter(isObject)
    .find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*');
  return {
    logicalId: apiId,
    stageName,
    routes,
    ...(settings ? { throttling: { rateLimit: settings.ThrottlingRateLimit as number, burstLimit: settings.ThrottlingBurstLimit as number } } : {}),
  };
}

/** What the API server needs of a local runtime. */
export interface ApiHost {
  readonly resources: Readonly<Record<string, CfnResource>>;
  readonly stack: LocalStack;
  invokeFunction(nameOrArn: string, payload: unknown): Promise<unknown>;
}

/** One request, as the server reports it (an access log line). */
export interface ApiAccess {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
}

/** Options of {@link startApiGatewayServer}. */
export interface ApiGatewayServerOptions {
  /** 0 picks a free port. @default 3000 */
  readonly port?: number;
  /** Told of every request answered. @default - nothing */
  readonly onRequest?: (access: ApiAccess) => void;
}

/** A running local REST API. */
export interface ApiGatewayServer {
  readonly api: LocalRestApi;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The stage's base URL: `http://127.0.0.1:<port>/<stage>/` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;
/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID(), ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function match(route: LocalApiRoute, method: string, path: string): Record<string, string> | undefined {
  if (route.httpMethod !== 'ANY' && route.httpMethod !== method) return undefined;
  const want = route.resourcePath.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const variable = /^\{(.+)\}$/.exec(part)?.[1];
    if (variable) params[variable] = decodeURIComponent(got[i]);
    else if (part !== got[i]) return undefined;
  }
  return params;
}

/** The access key of a SigV4 `Authorization` header, if any (reported as the caller; never verified). */
const accessKeyOf = (authorization: string | undefined) => /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1] ?? null;

/**
 * Serves the stack's REST API on the loopback interface, as `sam local start-api` does: each request is matched to
 * a method of the template (under `/<stage>/`), handed to its function as API Gateway's proxy event (version 1.0),
 * and the function's `{ statusCode, headers, body }` is the answer. A path or method the API does not have answers
 * `403 {"message":"Missing Authentication Token"}` and a function that fails or answers something else `502
 * {"message":"Internal server error"}`, as API Gateway does. `AWS_IAM` methods accept unsigned requests and any
 * signature (this is a loopback emulator: nothing is verified); throttling is not enforced.
 *
 * @example
 * const server = await startApiGatewayServer(runtime, { port: 0 });
 * await fetch(`${server.url}orders`, { method: 'POST', body: JSON.stringify(order) });
 */
export async function startApiGatewayServer(host: ApiHost, options: ApiGatewayServerOptions = {}): Promise<ApiGatewayServer | undefined> {
  const api = resolveRestApi(host.resources, host.stack);
  if (!api) return undefined;
  const stagePrefix = `/${api.stageName}`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) {
      answer(res, 403, JSON.stringify({ message: 'Forbidden' }));
      return 403;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        answer(res, 413, JSON.stringify({ message: 'Request Too Long' }));
        return 413;
      }
      chunks.push(chunk as Buffer);
    }
    const inStage = url.pathname === stagePrefix || url.pathname.startsWith(`${stagePrefix}/`);
    const path = inStage ? url.pathname.slice(stagePrefix.length) || '/' : url.pathname;
    const found = inStage ? api.routes.map((route) => ({ route, params: match(route, method, path) })).find((m) => m.params) : undefined;
    if (!found) {
      answer(res, 403, JSON.stringify({ message: 'Missing Authentication Token' }));
      return 403;
    }
    const { route, params } = found;
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query = [...url.searchParams.keys()];
    const body = Buffer.concat(chunks).toString('utf8');
    const requestId = randomUUID();
    const event = {
      resource: route.resourcePath,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: query.length > 0 ? Object.fromEntries(query.map((k) => [k, url.searchParams.get(k)!])) : null,
      multiValueQueryStringParameters: query.length > 0 ? Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k)])) : null,
      pathParameters: Object.keys(params!).length > 0 ? params : null,
      stageVariables: null,
      requestContext: {
        accountId: host.stack.accountId,
        apiId: api.logicalId,
        domainName: req.headers.host,
        httpMethod: method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: route.logicalId,
        resourcePath: route.resourcePath,
        stage: api.stageName,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? null, accessKey: accessKeyOf(req.headers.authorization), caller: null, user: null, userArn: null },
      },
      body: body === '' ? null : body,
      isBase64Encoded: false,
    };
    let result: unknown;
    try {
      result = await host.invokeFunction(route.functionArn, event);
    } catch {
      answer(res, 502, JSON.stringify({ message: 'Internal server error' }));
      return 502;
    }
    if (!isObject(result) || typeof result.statusCode !== 'number' || (result.body !== undefined && typeof result.body !== 'string')) {
      answer(res, 502, JSON.stringify({ message: 'Internal server error' }));
      return 502;
    }
    const out: Record<string, string | string[]> = { 'x-amzn-RequestId': requestId };
    for (const [k, v] of Object.entries(isObject(result.headers) ? result.headers : {})) out[k] = String(v);
    for (const [k, v] of Object.entries(isObject(result.multiValueHeaders) ? result.multiValueHeaders : {})) if (Array.isArray(v)) out[k] = v.map(String);
    const text = typeof result.body === 'string' ? (result.isBase64Encoded === true ? Buffer.from(result.body, 'base64').toString('utf8') : result.body) : '';
    answer(res, result.statusCode, text, out);
    return result.statusCode;
  };

  const server: Server = createServer((req, res) => {
    const started = Date.now();
    void handle(req, res)
      .catch(() => {
        if (!res.headersSent) answer(res, 500, JSON.stringify({ message: 'Internal server error' }));
        return 500;
      })
      .then((status) => options.onRequest?.({ method: req.method ?? '', path: req.url ?? '', status, ms: Date.now() - started }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    api,
    endpoint,
    url: `${endpoint}${stagePrefix}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
