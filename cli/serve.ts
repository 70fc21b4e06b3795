import { consoleRoutes } from '../local/console/console-routes';
import { startStepFunctionsServer } from '../local/sfn-api';
import { orderSagaConsole } from './console-sources';
import { DEFAULT_SERVE_ENDPOINT } from './repair-command';
import { repairRoutes } from './repair-local';
import { startSession, type Pace } from './session';

/**
 * `saga serve`: the local runtime (demo catalogue and customers seeded) behind the Step Functions API on
 * 127.0.0.1, until Ctrl-C; beside it, the compensation-failures queue for `saga repair`.
 */
export async function serve(options: Pace & { port: number }, print: (line: string) => void = console.log): Promise<void> {
  const session = await startSession(options, (message) => print(`▸ ${message}`), false);
  const routes = [...repairRoutes(session.runtime), ...consoleRoutes(session.runtime, orderSagaConsole())];
  const server = await startStepFunctionsServer(session.runtime, { port: options.port, routes }).catch(async (err: unknown) => {
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
  await new Promise<void>((resolve) => {
    const stop = () => {
      print('stopping…');
      void server
        .close()
        .then(() => session.close())
        .then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
