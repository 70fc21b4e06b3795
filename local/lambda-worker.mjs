// @ts-check
// One warm "container" of a local Lambda function: loads the bundled handler once, then serves invocations one at
// a time, like the Lambda runtime does. The parent thread enforces the timeout by terminating this worker.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';

const { entry, handlerExport, functionName, memoryMb, discardOutput } = workerData;

if (discardOutput) {
  // The pool reads no logs: writes end here instead of crossing to the parent thread line by line.
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = (_chunk, encoding, callback) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => done());
      return true;
    };
  }
}

/** @param {unknown} err */
function describe(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

let handler;
try {
  const mod = await import(pathToFileURL(entry).href);
  handler = mod[handlerExport];
  if (typeof handler !== 'function') throw new Error(`${entry} does not export a function named ${handlerExport}`);
  parentPort?.postMessage({ type: 'ready' });
} catch (err) {
  const e = describe(err);
  parentPort?.postMessage({ type: 'init-error', error: { ...e, errorType: `Runtime.ImportModuleError` } });
}

parentPort?.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const requestId = randomUUID();
  const context = {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: String(memoryMb),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const payload = await handler(message.event, context);
    parentPort?.postMessage({ type: 'result', id: message.id, ok: true, payload: payload === undefined ? null : payload });
  } catch (err) {
    parentPort?.postMessage({ type: 'result', id: message.id, ok: false, error: describe(err) });
  }
});
