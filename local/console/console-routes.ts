import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { localDynamoDbClient } from '../dynamodb-local';
import type { LocalRuntime } from '../runtime';
import { RawContent, type ExtraRoute, type RouteRequest } from '../sfn-api';
import { ConsolePaths, type ConsoleOverview, type ConsoleTable } from './console-types';

/**
 * The local console: a page served beside the Step Functions API (same origin, so the page calls the API with no
 * CORS), and a small read-only endpoint for what the API does not show: the tables, the integration events and
 * the console's configuration. The compensation-failures queue and its repair are the server's repair routes.
 */

/** What the console shows beside the Step Functions API. Everything is optional: the page says what is absent. */
export interface ConsoleSources {
  /** Example inputs for the start form, by name. @default - none (the form starts with `{}`) */
  readonly examples?: Readonly<Record<string, unknown>>;
  /**
   * The fault injection the start form offers: the input field, the steps a fault can be injected at, and the
   * errors it can raise. @default - no fault picker
   */
  readonly faults?: { readonly field: string; readonly steps: readonly string[]; readonly errors: readonly string[] };
  /** Checks an input before it is sent: the problems found, or none. @default - JSON syntax only */
  readonly validate?: (input: unknown) => readonly string[];
  /** The integration events published so far, newest last. @default - the page says the stack publishes none */
  readonly events?: () => readonly unknown[] | Promise<readonly unknown[]>;
  /** The Orders API, when the server has one: where to `POST` a command. @default - none */
  readonly ordersApi?: { readonly endpoint: string; readonly placeOrderPath: string };
  /** The repair routes' paths, when the server has them. @default - the queue is not shown */
  readonly repair?: { readonly list: string; readonly repair: string };
  /** At most this many items shown per table. @default 200 */
  readonly maxItemsPerTable?: number;
}

const PAGE_DIR = join(__dirname, 'page');

/** The page's script and stylesheet, bundled once per process with esbuild (a dependency of the synthesis already). */
let bundled: Promise<{ js: Buffer; css: Buffer }> | undefined;
function bundle(): Promise<{ js: Buffer; css: Buffer }> {
  bundled ??= build({
    entryPoints: [join(PAGE_DIR, 'main.ts')],
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'silent',
  }).then((result) => ({ js: Buffer.from(result.outputFiles[0].contents), css: readFileSync(join(PAGE_DIR, 'style.css')) }));
  bundled.catch(() => (bundled = undefined));
  return bundled;
}

/** Sends `body` gzipped when the client accepts it. */
function content(contentType: string, body: Buffer, request: RouteRequest, headers: Record<string, string> = {}): RawContent {
  const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  return new RawContent(contentType, gzip ? gzipSync(body) : body, { 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding', ...headers, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
}

/** The page loads and calls nothing but this server (and the Orders API, when there is one), and is never framed. */
function contentSecurityPolicy(sources: ConsoleSources): string {
  const connect = ["'self'", ...(sources.ordersApi ? [new URL(sources.ordersApi.endpoint).origin] : [])].join(' ');
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

async function scanTable(runtime: LocalRuntime, name: string, max: number): Promise<ConsoleTable> {
  const client = localDynamoDbClient(runtime.dynamoDbEndpoint, runtime.stack.region);
  const doc = DynamoDBDocumentClient.from(client);
  try {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    let count = 0;
    do {
      const page = await doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start, ConsistentRead: true }));
      count += page.Count ?? 0;
      for (const item of page.Items ?? []) if (items.length < max) items.push(item);
      start = page.LastEvaluatedKey;
    } while (start);
    const table = runtime.stack.tables.find((t) => t.TableName === name);
    return { name, keys: (table?.KeySchema ?? []).map((k) => k.AttributeName!), count, items };
  } finally {
    client.destroy();
  }
}

/**
 * The console's routes, to serve beside the Step Functions API (`startStepFunctionsServer(runtime, { routes })`):
 * the page at `/`, and the read-only endpoint under `/console/api/`.
 *
 * @example
 * const server = await startStepFunctionsServer(runtime, { routes: [...consoleRoutes(runtime, { examples }), ...repairRoutes(runtime)] });
 * // open ${server.endpoint}/ in a browser
 */
export function consoleRoutes(runtime: LocalRuntime, sources: ConsoleSources = {}): ExtraRoute[] {
  const max = sources.maxItemsPerTable ?? 200;
  const csp = contentSecurityPolicy(sources);
  const tableNames = () => runtime.stack.tables.map((t) => t.TableName!);
  const overview = (): ConsoleOverview => ({
    stateMachines: runtime.stack.stateMachines.map((m) => ({ arn: m.arn, name: m.name })),
    defaultStateMachine: runtime.stateMachine().arn,
    tables: tableNames(),
    examples: sources.examples ?? {},
    ...(sources.faults ? { faults: sources.faults } : {}),
    events: sources.events !== undefined,
    ...(sources.ordersApi ? { ordersApi: sources.ordersApi } : {}),
    ...(sources.repair ? { repair: sources.repair } : {}),
  });
  return [
    {
      method: 'GET',
      path: ConsolePaths.page,
      handle: (_body, request) => content('text/html; charset=utf-8', readFileSync(join(PAGE_DIR, 'index.html')), request, { 'Content-Security-Policy': csp }),
    },
    { method: 'GET', path: ConsolePaths.script, handle: async (_body, request) => content('text/javascript; charset=utf-8', (await bundle()).js, request) },
    { method: 'GET', path: ConsolePaths.style, handle: async (_body, request) => content('text/css; charset=utf-8', (await bundle()).css, request) },
    { method: 'GET', path: ConsolePaths.overview, handle: overview },
    {
      method: 'GET',
      path: ConsolePaths.tables,
      handle: async () => ({ tables: await Promise.all(tableNames().map((name) => scanTable(runtime, name, max))) }),
    },
    {
      method: 'GET',
      path: ConsolePaths.events,
      handle: async () => (sources.events ? { available: true, events: await sources.events() } : { available: false, events: [] }),
    },
    {
      method: 'POST',
      path: ConsolePaths.validate,
      handle: (body) => ({ problems: sources.validate ? sources.validate(body) : [] }),
    },
  ];
}
