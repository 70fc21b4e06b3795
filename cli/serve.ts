import { consoleRoutes } from '../local/console/console-routes';
import { freePort } from '../local/dynamodb-local';
import { startStepFunctionsServer } from '../local/sfn-api';
import { startStackServices } from '../local/stack-services';
import { orderSagaConsole, ordersApiRoute } from './console-sources';
import { eventRoutes, printStackServices, stackServicesOutput } from './events';
import { DEFAULT_SERVE_ENDPOINT } from './repair-command';
import { repairRoutes } from './repair-local';
import { startSession, type Pace } from './session';

/**
 * `saga serve`: the local runtime (demo catalogue and customers seeded) behind the Step Functions API on
 * 127.0.0.1, until Ctrl-C; beside it, the compensation-failures queue for `saga repair`.
 */
export async function serve(options: Pace & { port: number; apiPort?: number }, print: (line: string) => void = console.log): Promise<void> {
  // The Orders API's command function calls this server's Step Functions API: its port is known before the runtime.
  const port = options.port === 0 ? await freePort() : options.port;
  const session = await startSession(options, (message) => print(`▸ ${message}`), false, { functionEnvironment: { AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${port}` } });
  const services = await startStackServices(session.runtime, { apiPort: options.apiPort, ...stackServicesOutput(print) }).catch(async (err: unknown) => {
    await session.close();
    throw err;
  });
  const consoleSources = orderSagaConsole({
    events: () => services.events.since(0).map((logged) => logged.event),
    ...(services.api ? { ordersApi: { endpoint: `http://127.0.0.1:${port}`, placeOrderPath: ordersApiRoute.path } } : {}),
  });
  const routes = [
    ...repairRoutes(session.runtime),
    ...eventRoutes(services.events),
    ...(services.api ? [ordersApiRoute.route(services.api.url)] : []),
    ...consoleRoutes(session.runtime, consoleSources),
  ];
  const server = await startStepFunctionsServer(session.runtime, { port, routes }).catch(async (err: unknown) => {
    await services.close();
    await session.close();
    throw err;
  });
  const arn = session.runtime.stateMachine().arn;
  print(`Step Functions API on ${server.endpoint} (Ctrl-C to stop)`);
  print(`  console: ${server.endpoint}/ (open it in a browser)`);
  print(`  state machine: ${arn}`);
  print(`  try: aws stepfunctions start-execution --endpoint-url ${server.endpoint} --state-machine-arn ${arn} \\`);
  print(`         --name ord-1001 --input file://examples/orders/happy-path.json`);
  const endpoint = server.endpoint === DEFAULT_SERVE_ENDPOINT ? '' : ` --endpoint ${server.endpoint}`;
  print(`  compensations that failed for good: npx saga repair${endpoint} --list (then without --list to retry them)`);
  printStackServices(services, endpoint, print);
  await new Promise<void>((resolve) => {
    const stop = () => {
      print('stopping…');
      void server
        .close()
        .then(() => services.close())
        .then(() => session.close())
        .then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
