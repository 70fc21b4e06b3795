import type { EventLog, LoggedEvent } from '../local/event-log';
import type { ExtraRoute } from '../local/sfn-api';
import type { StackServices, StackServicesOptions } from '../local/stack-services';
import { DEFAULT_SERVE_ENDPOINT } from './repair-command';

/** The path `saga serve` answers the published events on. */
export const EventsPath = '/saga/events';

/** Nothing, or something else than a `saga serve`, answers where `saga events` looks. */
export class EventsConnectionError extends Error {
  override readonly name = 'EventsConnectionError';
}

/** The route `saga serve` adds to its server: the events after a number (`{ "after": 12 }`), and the last number. */
export function eventRoutes(log: EventLog): ExtraRoute[] {
  return [
    {
      method: 'POST',
      path: EventsPath,
      handle: (body: unknown) => {
        const after = typeof body === 'object' && body !== null && typeof (body as { after?: unknown }).after === 'number' ? (body as { after: number }).after : 0;
        return { events: log.since(after), cursor: log.cursor };
      },
    },
  ];
}

/** Options of `saga events`. */
export interface EventsCommandOptions {
  /** @default DEFAULT_SERVE_ENDPOINT */
  readonly endpoint?: string;
  /** Keep printing new events until stopped. */
  readonly follow: boolean;
  /** Print each event whole, as one JSON line. */
  readonly json: boolean;
}

/** One line per event: time, type, bus and detail. */
export function formatEvent(logged: LoggedEvent): string {
  const { event } = logged;
  return `${event.time} ${event['detail-type']} (${logged.bus}) ${JSON.stringify(event.detail)}`;
}

async function fetchEvents(endpoint: string, after: number): Promise<{ events: LoggedEvent[]; cursor: number }> {
  let url: URL;
  try {
    url = new URL(EventsPath, endpoint);
  } catch (err: unknown) {
    throw new EventsConnectionError(`--endpoint ${endpoint} is not a URL`, { cause: err });
  }
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ after }) });
  } catch (err: unknown) {
    throw new EventsConnectionError(`no saga serve on ${url.origin}: start one with npm run serve`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) throw new EventsConnectionError(`${url.href} answered ${response.status}${response.status === 404 ? ': is this a saga serve?' : ''}`);
  try {
    return JSON.parse(text) as { events: LoggedEvent[]; cursor: number };
  } catch (err: unknown) {
    throw new EventsConnectionError(`${url.href} answered something else than events: ${text.slice(0, 200)}`, { cause: err });
  }
}

/**
 * `saga events`: prints the events published on the stack's own buses of a running `saga serve` (the order events),
 * then with `--follow` every new one as it comes (every half second), until `signal` aborts.
 * @throws EventsConnectionError when no saga serve answers
 */
export async function showEvents(options: EventsCommandOptions, print: (line: string) => void = console.log, signal?: AbortSignal, intervalMs = 500): Promise<void> {
  const endpoint = options.endpoint ?? DEFAULT_SERVE_ENDPOINT;
  let after = 0;
  for (;;) {
    const { events } = await fetchEvents(endpoint, after);
    for (const logged of events) {
      print(options.json ? JSON.stringify(logged.event) : formatEvent(logged));
      after = logged.seq;
    }
    if (!options.follow || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (signal?.aborted) return;
  }
}

/** How `saga serve` reports the API's requests and the published events as they happen. */
export function stackServicesOutput(print: (line: string) => void): Pick<StackServicesOptions, 'onRequest' | 'onEvent' | 'onPipeError'> {
  return {
    onRequest: (a) => print(`api ${a.method} ${a.path} → ${a.status} (${a.ms} ms)`),
    onEvent: (bus, event) => print(`event ${event['detail-type']} on ${bus}: ${JSON.stringify(event.detail)}`),
    onPipeError: (err: unknown) => print(`pipe read failed (retried): ${err instanceof Error ? err.message : String(err)}`),
  };
}

/** `saga serve`'s start-up lines for the REST API and the events, as `sam local start-api` states its URL. */
export function printStackServices(services: StackServices, endpointOption: string, print: (line: string) => void): void {
  if (services.api) {
    const { api, url } = services.api;
    print(`Orders API on ${url} (IAM authorization: on loopback, unsigned requests and any SigV4 signature are accepted)`);
    for (const route of api.routes) print(`  ${route.httpMethod.padEnd(4)} ${url.replace(/\/$/, '')}${route.resourcePath}`);
    print(`  try: curl -i -X POST ${url}orders -H 'Content-Type: application/json' -d @examples/orders/happy-path.json`);
  }
  const pipes = services.pipes.pipes;
  if (pipes.length > 0) {
    print(`Events: ${pipes.map((p) => `${p.detailType} → ${p.targetBus}`).join(', ')} (from the ${[...new Set(pipes.map((p) => p.sourceTable))].join(', ')} stream)`);
    print(`  follow them: npx saga events${endpointOption} --follow`);
  }
}
