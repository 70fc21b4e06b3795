import { startApiGatewayServer, type ApiAccess, type ApiGatewayServer, type ApiHost } from './api-gateway';
import { EventLog } from './event-log';
import type { EventBridgeEvent } from './execution-status-event';
import { LocalPipes, type PipeHost } from './pipes';

/** Options of {@link startStackServices}. */
export interface StackServicesOptions {
  /** The REST API's port (0 picks a free one). @default 3000 */
  readonly apiPort?: number;
  /** How often the pipes read their streams. @default 200 */
  readonly pollIntervalMs?: number;
  /** Told of every API request answered. @default - nothing */
  readonly onRequest?: (access: ApiAccess) => void;
  /** Told of every event put on one of the stack's own buses. @default - nothing */
  readonly onEvent?: (bus: string, event: EventBridgeEvent) => void;
  /** Told of a pipe read that failed (retried at the next poll). @default - nothing */
  readonly onPipeError?: (err: unknown) => void;
}

/** What {@link startStackServices} started. */
export interface StackServices {
  /** The REST API, when the stack has one. */
  readonly api?: ApiGatewayServer;
  readonly pipes: LocalPipes;
  /** The events of the stack's own buses (not `default`), for `saga events`. */
  readonly events: EventLog;
  close(): Promise<void>;
}

/**
 * Starts what `saga serve` runs beside the Step Functions API, all read from the template: the REST API on
 * loopback, the pipes polling their streams, and a log of the events on the stack's own buses.
 *
 * @example
 * const services = await startStackServices(runtime, { apiPort: 0, onEvent: (bus, e) => console.log(bus, e['detail-type']) });
 * console.log(services.api?.url);
 * await services.close();
 */
export async function startStackServices(runtime: ApiHost & PipeHost, options: StackServicesOptions = {}): Promise<StackServices> {
  const own = [...runtime.buses.values()].filter((bus) => bus.name !== 'default');
  const events = new EventLog(own);
  const unsubscribe = own.map((bus) => bus.subscribe((event) => options.onEvent?.(bus.name, event)));
  const pipes = await LocalPipes.start(runtime, { pollIntervalMs: options.pollIntervalMs ?? 200, onError: options.onPipeError });
  let api: ApiGatewayServer | undefined;
  try {
    api = await startApiGatewayServer(runtime, { port: options.apiPort ?? 3000, onRequest: options.onRequest });
  } catch (err: unknown) {
    await pipes.close();
    throw err;
  }
  return {
    ...(api ? { api } : {}),
    pipes,
    events,
    async close() {
      for (const off of unsubscribe) off();
      events.close();
      await api?.close();
      await pipes.close();
    },
  };
}
