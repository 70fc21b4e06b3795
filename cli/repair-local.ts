import { LambdaInvocationFailure } from '../local/lambda-pool';
import { StepFunctionsApiError, type LocalRuntime } from '../local/runtime';
import type { ExtraRoute } from '../local/sfn-api';
import { RepairConnectionError, repairCompensationFailures, type RepairPort, type RepairReport } from './repair';

/**
 * The repair on the local runtime: its in-memory queue, its state machines and its Lambda execution environments. `saga serve`
 * holds the runtime, so `saga repair` reaches it over HTTP ({@link repairRoutes}, {@link requestRepair}).
 */

/** The queue the order saga records compensation failures on: the stack's `CompensationFailuresQueueUrl` output. */
function compensationFailuresQueue(runtime: LocalRuntime): string {
  const url = runtime.stack.outputs.CompensationFailuresQueueUrl ?? (runtime.stack.queues.length === 1 ? runtime.stack.queues[0].url : undefined);
  if (!url) throw new RepairConnectionError('the stack has no CompensationFailuresQueueUrl output: name the queue');
  return url;
}

const failure = (err: unknown) =>
  err instanceof LambdaInvocationFailure
    ? { ok: false as const, error: err.errorType, cause: err.cause }
    : { ok: false as const, error: err instanceof Error ? err.name : 'Error', cause: err instanceof Error ? err.message : String(err) };

/**
 * A {@link RepairPort} over a local runtime. Listing reads the queue without receiving (nothing changes); the
 * repair receives, deletes and releases as it would on SQS.
 *
 * @param options.queue the queue's URL, ARN, name or logical id; @default - the stack's CompensationFailuresQueueUrl output
 */
export function localRepairPort(runtime: LocalRuntime, options: { queue?: string } = {}): RepairPort {
  const queue = options.queue ?? compensationFailuresQueue(runtime);
  const queues = runtime.queues;
  return {
    queue,
    list: () =>
      Promise.resolve(
        queues.pending(queue).map((m) => ({ messageId: m.messageId, body: m.body, attributes: m.attributes, sentAt: m.sentAt.toISOString(), receiveCount: m.receiveCount })),
      ),
    receive: (visibilityTimeoutMs) =>
      Promise.resolve(
        queues.receive(queue, { max: 10, visibilityTimeoutMs }).map((m) => ({
          messageId: m.messageId,
          body: m.body,
          attributes: m.attributes,
          sentAt: m.sentAt.toISOString(),
          receiveCount: m.receiveCount,
          receiptHandle: m.receiptHandle,
        })),
      ),
    delete: (message) => {
      queues.delete(queue, message.receiptHandle);
      return Promise.resolve();
    },
    release: (message) => {
      queues.changeVisibility(queue, message.receiptHandle, 0);
      return Promise.resolve();
    },
    definition: (stateMachineArn) => Promise.resolve(runtime.stateMachine(stateMachineArn).definition),
    invoke: async (functionName, payload) => {
      try {
        return { ok: true, result: await runtime.invokeFunction(functionName, payload) };
      } catch (err: unknown) {
        return failure(err);
      }
    },
    startExecution: (stateMachineArn, name, input) => {
      try {
        const started = runtime.startExecution({ stateMachine: stateMachineArn, name, input });
        return Promise.resolve({ ok: true, executionArn: started.executionArn, alreadyStarted: false });
      } catch (err: unknown) {
        if (err instanceof StepFunctionsApiError && err.name === 'ExecutionAlreadyExists') {
          const executionArn = `${runtime.stateMachine(stateMachineArn).arn.replace(':stateMachine:', ':execution:')}:${name}`;
          return Promise.resolve({ ok: true, executionArn, alreadyStarted: true });
        }
        return Promise.resolve(failure(err));
      }
    },
  };
}

/** The paths `saga serve` answers beside the Step Functions API. */
export const RepairPaths = { list: '/saga/compensation-failures', repair: '/saga/repair' } as const;

/** The routes `saga serve` adds to its server: list the queue, and repair it, on the server's runtime. */
export function repairRoutes(runtime: LocalRuntime): ExtraRoute[] {
  const port = localRepairPort(runtime);
  return [
    { method: 'GET', path: RepairPaths.list, handle: () => repairCompensationFailures(port, { dryRun: true }) },
    { method: 'POST', path: RepairPaths.repair, handle: () => repairCompensationFailures(port) },
  ];
}

/**
 * Asks a running `saga serve` to list (`list: true`) or repair its compensation-failures queue.
 * @throws RepairConnectionError when nothing, or something else than a saga serve, answers at `endpoint`
 */
export async function requestRepair(endpoint: string, options: { list: boolean }): Promise<RepairReport> {
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch (err: unknown) {
    throw new RepairConnectionError(`--endpoint ${endpoint} is not a URL`, { cause: err });
  }
  const url = new URL(options.list ? RepairPaths.list : RepairPaths.repair, base);
  let response: Response;
  try {
    response = await fetch(url, options.list ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  } catch (err: unknown) {
    throw new RepairConnectionError(`no saga serve on ${base.origin}: start one with npm run serve`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new RepairConnectionError(`${url.href} answered ${response.status}${response.status === 404 ? ': is this a saga serve?' : ''} ${text.slice(0, 300)}`.trimEnd());
  }
  try {
    return JSON.parse(text) as RepairReport;
  } catch (err: unknown) {
    throw new RepairConnectionError(`${url.href} answered something else than a repair report: ${text.slice(0, 300)}`, { cause: err });
  }
}
