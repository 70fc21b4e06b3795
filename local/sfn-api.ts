import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HistoryEvent } from './history';
import { readBody, RequestEntityTooLargeError } from './http-body';
import { MockConfigError } from './mock-config';
import { StepFunctionsApiError, type ExecutionResult, type LocalExecution, type LocalRuntime } from './runtime';

/**
 * The Step Functions API (AWS JSON 1.0) over a {@link LocalRuntime}, so the AWS CLI and SDKs work against it with
 * `--endpoint-url`.
 */

/** An API error: AWS's error code, HTTP status and message. */
class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;
type Operation = (body: Body) => unknown;

const epochSeconds = (date: Date) => date.getTime() / 1000;
const creationDate = new Date();

function page<T>(items: readonly T[], body: Body, defaultMax = 100): { items: T[]; nextToken?: string } {
  const max = body.maxResults === undefined || body.maxResults === 0 ? defaultMax : Number(body.maxResults);
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new ApiError('ValidationException', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  let start = 0;
  if (body.nextToken !== undefined) {
    const token = optionalString(body, 'nextToken')!;
    const decoded = /^[A-Za-z0-9_-]+$/.test(token) ? Number(Buffer.from(token, 'base64url').toString('utf8')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw new ApiError('InvalidToken', `Invalid Token: '${token}'`);
    start = decoded;
  }
  const end = start + max;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}) };
}

function requireString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ApiError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ApiError('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a string`);
  }
  return value;
}

function describe(execution: LocalExecution, result: ExecutionResult | undefined): Body {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: result?.status ?? 'RUNNING',
    startDate: epochSeconds(execution.startDate),
    ...(result ? { stopDate: epochSeconds(result.stopDate) } : {}),
    input: JSON.stringify(execution.input),
    inputDetails: { included: true },
    ...(result?.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output), outputDetails: { included: true } } : {}),
    ...(result?.error !== undefined ? { error: result.error } : {}),
    ...(result?.cause !== undefined ? { cause: result.cause } : {}),
  };
}

function wireEvent(event: HistoryEvent, includeData: boolean): Body {
  const { timestamp, ...rest } = event;
  // A JSON copy: the history's details compute their JSON fields lazily, and the stored history must stay untouched.
  const out = JSON.parse(JSON.stringify(rest)) as Body;
  if (!includeData) {
    for (const value of Object.values(out)) {
      if (value && typeof value === 'object') for (const key of ['input', 'output', 'parameters']) delete (value as Body)[key];
    }
  }
  return { ...out, timestamp: epochSeconds(timestamp) };
}

/** The operations, by name. */
function operations(runtime: LocalRuntime): Record<string, Operation> {
  // Every execution of the runtime, whoever started it (this API, an EventBridge rule, a repair): its result once ended.
  const resultOf = async (execution: LocalExecution): Promise<ExecutionResult | undefined> => (execution.status === 'RUNNING' ? undefined : execution.result);
  const machine = (arn: string) => {
    try {
      return runtime.stateMachine(arn);
    } catch {
      if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(arn)) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
  };
  const execution = (arn: string) => {
    const found = runtime.execution(arn);
    if (!found || found.executionArn !== arn) {
      if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return found;
  };
  const start = (body: Body) => {
    // `<ARN>#<TestCase>` selects a test case of the mock configuration, as in Step Functions Local.
    const [machineArn, testCase] = requireString(body, 'stateMachineArn').split('#');
    const spec = machine(machineArn);
    let input: unknown = {};
    const text = optionalString(body, 'input');
    if (text !== undefined) {
      try {
        input = JSON.parse(text);
      } catch (err: unknown) {
        throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(err as Error).message}'`);
      }
    }
    try {
      const stateMachine = testCase === undefined ? spec.arn : `${spec.arn}#${testCase}`;
      return runtime.startExecution({ stateMachine, name: optionalString(body, 'name'), input });
    } catch (err: unknown) {
      if (err instanceof StepFunctionsApiError) throw new ApiError(err.name, err.message);
      if (err instanceof MockConfigError) throw new ApiError('ValidationException', err.message);
      throw err;
    }
  };

  return {
    ListStateMachines: (body) => {
      const machines = runtime.stack.stateMachines.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: epochSeconds(creationDate) }));
      const { items, nextToken } = page(machines, body);
      return { stateMachines: items, ...(nextToken ? { nextToken } : {}) };
    },
    DescribeStateMachine: (body) => {
      const spec = machine(requireString(body, 'stateMachineArn'));
      return {
        stateMachineArn: spec.arn,
        name: spec.name,
        status: 'ACTIVE',
        definition: JSON.stringify(spec.definition),
        roleArn: `arn:aws:iam::${runtime.stack.accountId}:role/local`,
        type: spec.type,
        creationDate: epochSeconds(creationDate),
      };
    },
    StartExecution: (body) => {
      const started = start(body);
      return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
    },
    StartSyncExecution: async (body) => {
      const spec = machine(requireString(body, 'stateMachineArn').split('#')[0]);
      if (spec.type !== 'EXPRESS') {
        throw new ApiError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
      }
      const started = start(body);
      const result = await started.result;
      return { ...describe(started, result), billingDetails: { billedDurationInMilliseconds: result.stopDate.getTime() - result.startDate.getTime(), billedMemoryUsedInMB: 64 } };
    },
    DescribeExecution: async (body) => {
      const found = execution(requireString(body, 'executionArn'));
      return describe(found, await resultOf(found));
    },
    ListExecutions: async (body) => {
      const spec = machine(requireString(body, 'stateMachineArn'));
      const filter = optionalString(body, 'statusFilter');
      if (filter && !['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'].includes(filter)) {
        throw new ApiError('ValidationException', `1 validation error detected: Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set`);
      }
      const executions = runtime.listExecutions().filter((e) => e.stateMachineArn === spec.arn);
      const all = (await Promise.all(executions.map(async (e) => describe(e, await resultOf(e)))))
        .filter((e) => !filter || e.status === filter)
        .reverse()
        .map(({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({ executionArn, stateMachineArn, name, status, startDate, ...(stopDate ? { stopDate } : {}) }));
      const { items, nextToken } = page(all, body);
      return { executions: items, ...(nextToken ? { nextToken } : {}) };
    },
    GetExecutionHistory: (body) => {
      const found = execution(requireString(body, 'executionArn'));
      const events = found.history().map((e) => wireEvent(e, body.includeExecutionData !== false));
      const { items, nextToken } = page(body.reverseOrder === true ? events.reverse() : events, body);
      return { events: items, ...(nextToken ? { nextToken } : {}) };
    },
    StopExecution: (body) => {
      const found = execution(requireString(body, 'executionArn'));
      found.stop(optionalString(body, 'error'), optionalString(body, 'cause'));
      return { stopDate: epochSeconds(new Date()) };
    },
  };
}

/** A running Step Functions API server. */
export interface StepFunctionsServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, errorCode?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...(errorCode ? { 'x-amzn-ErrorType': errorCode } : {}),
  });
  res.end(text);
}

/**
 * A route served beside the Step Functions API, by method and path (the API itself is routed by `X-Amz-Target`):
 * for a command-line tool or a page that needs the server's runtime. It answers JSON, or a {@link RawContent}.
 */
export interface ExtraRoute {
  readonly method: 'GET' | 'POST';
  /** The path, exactly (`/saga/repair`). */
  readonly path: string;
  /**
   * Answers the request's JSON body (`undefined` when empty) with what to send back as JSON, or with a
   * {@link RawContent} to send as it is.
   */
  handle(body: unknown, request: RouteRequest): unknown;
}

/** What an {@link ExtraRoute} may read of its request besides the body. */
export interface RouteRequest {
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** What an {@link ExtraRoute} answers as it is, instead of as JSON: a page, a script, an image. */
export class RawContent {
  constructor(
    readonly contentType: string,
    readonly body: string | Buffer,
    /** More response headers (`Content-Encoding`, `Cache-Control`). @default - none */
    readonly headers: Readonly<Record<string, string>> = {},
    /** The HTTP status. @default 200 */
    readonly status = 200,
  ) {}
}

/** An error answered by an extra route: HTTP status and a JSON `{ error, message }`. */
class RouteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (body instanceof RawContent) {
    res.writeHead(body.status === 200 ? status : body.status, { ...body.headers, 'Content-Type': body.contentType, 'Content-Length': Buffer.byteLength(body.body), 'X-Content-Type-Options': 'nosniff' });
    res.end(body.body);
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Serves an extra route. The server listens on the loopback interface only; a request must also name a loopback
 * host (a web page cannot reach it through DNS rebinding) and a POST must send JSON (a cross-site form or
 * `no-cors` fetch cannot, without a CORS preflight this server never grants).
 */
async function handleRoute(route: ExtraRoute, req: IncomingMessage, text: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  try {
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) throw new RouteError(403, 'Forbidden', `Host ${req.headers.host ?? '(none)'} is not a loopback address`);
    let body: unknown;
    if (req.method === 'POST') {
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new RouteError(415, 'UnsupportedMediaType', 'send Content-Type: application/json');
      try {
        body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
      } catch (err: unknown) {
        throw new RouteError(400, 'SerializationException', `Malformed request body: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    sendJson(res, 200, await route.handle(body, { query, headers: req.headers }));
  } catch (err: unknown) {
    if (err instanceof RouteError) sendJson(res, err.status, { error: err.code, message: err.message });
    else sendJson(res, 500, { error: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) });
  }
}

/** Refuses a request larger than the server reads, with AWS's error, and closes the connection once answered. */
function refuseTooLarge(res: ServerResponse, err: RequestEntityTooLargeError): void {
  res.shouldKeepAlive = false;
  res.once('finish', () => res.req.destroy());
  send(res, err.status, { __type: `com.amazonaws.states#${err.name}`, message: err.message }, err.name);
}

async function handle(ops: Record<string, Operation>, routes: readonly ExtraRoute[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readBody(req);
  } catch (err: unknown) {
    if (err instanceof RequestEntityTooLargeError) return refuseTooLarge(res, err);
    throw err;
  }
  const [path, search] = (req.url ?? '/').split('?');
  const route = routes.find((r) => r.path === path && r.method === req.method);
  if (route) return handleRoute(route, req, raw.toString('utf8'), new URLSearchParams(search ?? ''), res);
  const chunks = [raw];
  try {
    if (req.method !== 'POST') throw new ApiError('UnknownOperationException', `${req.method ?? ''} is not supported; send POST with X-Amz-Target`, 404);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [service, operation] = target.split('.');
    const op = service === 'AWSStepFunctions' ? ops[operation] : undefined;
    if (!op) throw new ApiError('UnknownOperationException', `Unknown operation: '${target}'`);
    let body: Body;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      body = text.trim() === '' ? {} : (JSON.parse(text) as Body);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('the body must be a JSON object');
    } catch (err: unknown) {
      throw new ApiError('SerializationException', `Malformed request body: ${(err as Error).message}`);
    }
    send(res, 200, await op(body));
  } catch (err: unknown) {
    if (err instanceof ApiError) send(res, err.status, { __type: `com.amazonaws.states#${err.code}`, message: err.message }, err.code);
    else send(res, 500, { __type: 'com.amazonaws.states#InternalFailure', message: err instanceof Error ? err.message : String(err) }, 'InternalFailure');
  }
}

/**
 * The port `saga serve` listens on by default. Not Step Functions Local's 8083, so both can run side by side, and
 * none that another common local tool takes by default: LocalStack 4566 (and 4510-4559), DynamoDB Local 8000,
 * `sam local` 3000-3001, serverless-offline 3000-3002, moto 5000, ElasticMQ 9324, MinIO 9000-9001, the Lambda
 * runtime interface emulator 8080, wrangler 8787, the Node.js inspector and cognito-local 9229.
 */
export const DEFAULT_SERVE_PORT = 8483;

/** Options of {@link startStepFunctionsServer}. */
export interface StepFunctionsServerOptions {
  /** 0 picks a free port. @default DEFAULT_SERVE_PORT (8483) */
  readonly port?: number;
  /** Routes served beside the API, by method and path (see {@link ExtraRoute}). @default - none */
  readonly routes?: readonly ExtraRoute[];
}

/**
 * Serves the Step Functions API for a runtime's state machines on the loopback interface only, and any extra
 * routes given.
 *
 * @example
 * const server = await startStepFunctionsServer(runtime, { port: 0 });
 * // aws stepfunctions list-state-machines --endpoint-url ${server.endpoint}
 * await server.close();
 */
export async function startStepFunctionsServer(runtime: LocalRuntime, options: StepFunctionsServerOptions = {}): Promise<StepFunctionsServer> {
  const ops = operations(runtime);
  const routes = options.routes ?? [];
  const server: Server = createServer((req, res) => void handle(ops, routes, req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_SERVE_PORT, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
