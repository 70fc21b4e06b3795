import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { pathToFileURL } from 'node:url';
import { readFile } from 'node:fs/promises';
import { Module } from 'node:module';
import { dirname, join } from 'node:path';
import { transform } from 'esbuild';
import { Script } from 'node:vm';
import { describeError, failure, timedOut, type LambdaInvocationFailure } from './lambda-errors';
import type { LocalFunction } from './local-stack';

/** One warm execution environment of a function: loads its bundle once, then serves invocations one at a time. */
export interface ExecutionEnvironment {
  /** Settles once the bundle is loaded (rejects with `Runtime.ImportModuleError` when it cannot be). */
  readonly ready: Promise<void>;
  /** False once the environment was stopped (timed out, crashed, or closed): it is never reused. */
  readonly alive: boolean;
  /** Runs one invocation, timed from now; past `timeoutMs` it rejects with `Lambda.Unknown` and stops the environment. */
  invoke(event: unknown, timeoutMs: number): Promise<unknown>;
  /** Stops the environment. */
  terminate(): Promise<void>;
}

/** Thrown into a stopped environment's network calls: its invocation is over, and nothing it does any more may reach a service. */
export class EnvironmentStoppedError extends Error {
  constructor(functionName: string) {
    super(`the execution environment of ${functionName} was stopped (its invocation timed out, or the runtime closed): its requests are refused`);
    this.name = 'EnvironmentStoppedError';
  }
}

/** What code running on behalf of one inline environment sees and does. */
interface Scope {
  readonly functionName: string;
  /** Its environment variables: the function's own, as in a worker or on Lambda, not this process's. */
  readonly env: Record<string, string>;
  /** Its output, line by line; `undefined` drops it. */
  readonly onLine: ((line: string) => void) | undefined;
  readonly pending: { stdout: string; stderr: string };
  stopped: boolean;
  /**
   * Told of an exception its code threw, or a promise it rejected, that nobody caught: its environment's end, as the
   * Lambda runtime's process would exit.
   */
  crashed(error: unknown, kind: 'exception' | 'rejection'): void;
}

/**
 * The process the bundles run in. Where this module runs in a sandbox of its own (a test runner's), its `process` is
 * a copy: the bundles, imported by the process's own loader, see the real one.
 */
const mainProcess = new Script('process').runInThisContext() as NodeJS.Process;

/**
 * The scopes and hooks of every inline environment in this process, kept on the process itself: where this module is
 * loaded more than once (a test runner loads it afresh for each test file), every copy must share one set of hooks.
 */
const shared = (() => {
  const key = Symbol.for('serverless-saga.inline-environments');
  const holder = mainProcess as unknown as Record<symbol, { scopes: AsyncLocalStorage<Scope>; installed: boolean } | undefined>;
  return (holder[key] ??= { scopes: new AsyncLocalStorage<Scope>(), installed: false });
})();
const scopes = shared.scopes;

/**
 * Installs, once per process, what lets functions share it as if each had its own: `process.env` answers the
 * environment variables of the function whose code is running (this process's own everywhere else), what a function
 * writes to stdout and stderr goes to its log listener instead of this process's output, and HTTP requests made on
 * behalf of a stopped environment are destroyed before they are sent.
 */
function installHooks(): void {
  if (shared.installed) return;
  shared.installed = true;
  const process = mainProcess;
  const own = process.env;
  const envOf = (key: string | symbol) => (typeof key === 'string' ? scopes.getStore()?.env : undefined);
  process.env = new Proxy(own, {
    get: (target, key) => {
      const env = envOf(key);
      return env ? env[key as string] : (Reflect.get(target, key) as unknown);
    },
    set: (target, key, value) => {
      const env = envOf(key);
      if (!env) return Reflect.set(target, key, value);
      env[key as string] = String(value);
      return true;
    },
    has: (target, key) => {
      const env = envOf(key);
      return env ? key in env : Reflect.has(target, key);
    },
    deleteProperty: (target, key) => {
      const env = envOf(key);
      if (!env) return Reflect.deleteProperty(target, key);
      delete env[key as string];
      return true;
    },
    ownKeys: (target) => {
      const env = scopes.getStore()?.env;
      return env ? Reflect.ownKeys(env) : Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor: (target, key) => {
      const env = envOf(key);
      if (!env) return Reflect.getOwnPropertyDescriptor(target, key);
      return key in env ? { value: env[key as string], writable: true, enumerable: true, configurable: true } : undefined;
    },
  });
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its stream, below
    const write = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const scope = scopes.getStore();
      if (!scope) return write.apply(stream, [chunk, ...rest] as Parameters<typeof write>);
      if (scope.onLine && !scope.stopped) {
        const text = scope.pending[name] + (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
        const lines = text.split('\n');
        scope.pending[name] = lines.pop() ?? '';
        for (const line of lines) scope.onLine(line);
      }
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (done) queueMicrotask(done);
      return true;
    });
  }
  subscribe('http.client.request.start', (message) => {
    const scope = scopes.getStore();
    if (scope?.stopped) (message as { request: ClientRequest }).request.destroy(new EnvironmentStoppedError(scope.functionName));
  });
  // An error a function's code leaves uncaught (a throwing timer, a rejected promise nobody awaits) is its
  // environment's end, not the runtime's: the scope it ran in says whose it is. Anything else is left to Node's own
  // behaviour, which these listeners would otherwise replace: print it and exit 1, unless someone else listens.
  process.on('unhandledRejection', (reason) => {
    const scope = scopes.getStore();
    if (scope) return scope.crashed(reason, 'rejection');
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  });
  process.on('uncaughtException', (error) => {
    const scope = scopes.getStore();
    if (scope) return scope.crashed(error, 'exception');
    if (process.listenerCount('uncaughtException') === 1) {
      console.error(error);
      process.exit(1);
    }
  });
}

/** Node's CommonJS module class, with the two members this file uses that its typings leave out. */
const CommonJsModule = Module as unknown as {
  new (id: string): { filename: string; paths: string[]; exports: Record<string, unknown>; _compile(code: string, filename: string): void };
  _nodeModulePaths(directory: string): string[];
};

/** Each bundle's code as a CommonJS module, compiled once per bundle, evaluated once per environment. */
const commonJs = new Map<string, Promise<string>>();

/**
 * The bundle's code as a CommonJS module (esbuild's transform: `import` becomes `require`, `import.meta.url` the
 * bundle's URL), with its source map carried over so that stack traces still name the sources. A module made this way
 * is the environment's alone, and is freed with it: an ES module imported by URL stays in the loader's cache for good
 * (about 4 MB per environment, one per timed-out invocation).
 */
function commonJsCode(entry: string): Promise<string> {
  let code = commonJs.get(entry);
  if (!code) {
    code = (async () => {
      let source = await readFile(entry, 'utf8');
      const linked = /\/\/# sourceMappingURL=(?!data:)(\S+)\s*$/.exec(source);
      if (linked) {
        const map = await readFile(join(dirname(entry), linked[1]), 'utf8').catch(() => undefined);
        if (map !== undefined) source = `${source.slice(0, linked.index)}//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}\n`;
      }
      try {
        const out = await transform(source, {
          format: 'cjs',
          loader: 'js',
          platform: 'node',
          target: `node${process.versions.node.split('.')[0]}`,
          sourcemap: 'inline',
          sourcefile: entry,
          define: { 'import.meta.url': JSON.stringify(pathToFileURL(entry).href) },
          logLevel: 'silent',
        });
        return out.code;
      } catch (err: unknown) {
        const reason = (err as { errors?: { text: string }[] }).errors?.map((e) => e.text).join('; ') ?? String(err);
        throw new Error(`${entry} cannot run inline (${reason}): run it with --isolation worker`, { cause: err });
      }
    })();
    commonJs.set(entry, code);
  }
  return code;
}

/**
 * An execution environment in this process: the function's bundle evaluated as a module of its own (module state,
 * clients and caches are the environment's, as in a fresh container), its environment variables and its output
 * kept apart from every other function's, and an invocation past its timeout stopped: it rejects, the environment is
 * discarded, and any request its code still makes is destroyed before it is sent.
 *
 * It shares the process's CPU and memory, and the AWS SDK's loaded code, with every other environment: this is what
 * makes it cheap. What it cannot do, the worker isolation does: stop code that never yields (an endless loop), and
 * enforce the memory size. An error its code leaves uncaught ends the environment (`Runtime.ExitError`), not the
 * process.
 */
export class InlineEnvironment implements ExecutionEnvironment {
  readonly ready: Promise<void>;
  private handler: ((event: unknown, context: unknown) => unknown) | undefined;
  private readonly scope: Scope;

  constructor(
    private readonly fn: LocalFunction,
    env: Record<string, string>,
    onLog: ((line: string) => void) | undefined,
  ) {
    installHooks();
    this.scope = {
      functionName: fn.name,
      env: { ...env },
      onLine: onLog,
      pending: { stdout: '', stderr: '' },
      stopped: false,
      crashed: (error, kind) => this.crash(error, kind),
    };
    this.ready = commonJsCode(fn.entry)
      .then((code) => {
        // A module of its own, outside require's cache: its state is this environment's, and goes with it.
        const module = new CommonJsModule(fn.entry);
        module.filename = fn.entry;
        module.paths = CommonJsModule._nodeModulePaths(dirname(fn.entry));
        scopes.run(this.scope, () => module._compile(code, fn.entry));
        const handler = module.exports[fn.handlerExport];
        if (typeof handler !== 'function') throw new Error(`${fn.entry} does not export a function named ${fn.handlerExport}`);
        this.handler = handler as (event: unknown, context: unknown) => unknown;
      })
      .catch((err: unknown) => {
        throw importError(err);
      });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.scope.stopped;
  }

  invoke(event: unknown, timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    const context = {
      awsRequestId: randomUUID(),
      functionName: this.fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.fn.arn,
      memoryLimitInMB: String(this.fn.memoryMb),
      logGroupName: `/aws/lambda/${this.fn.name}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done() {},
      fail() {},
      succeed() {},
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop();
        this.failPending = undefined;
        reject(timedOut(timeoutMs));
      }, timeoutMs);
      this.failPending = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      // The event crosses as JSON, as it does to Lambda: the handler cannot hold on to the caller's objects.
      const payload = asJson(event) ?? null;
      scopes
        // Through a promise, so that a handler that throws at once rejects like one that throws later.
        .run(this.scope, () => Promise.resolve().then(() => this.handler!(payload, context)))
        .then(
          (result) => {
            if (this.scope.stopped) return;
            let out: unknown;
            try {
              out = asJson(result) ?? null;
            } catch (err: unknown) {
              throw Object.assign(new Error(`the function's response is not JSON: ${(err as Error).message}`), { name: 'Runtime.MarshalError' });
            }
            clearTimeout(timer);
            this.failPending = undefined;
            resolve(out);
          },
        )
        .catch((err: unknown) => {
          if (this.scope.stopped) return;
          clearTimeout(timer);
          this.failPending = undefined;
          reject(failure(describeError(err)));
        });
    });
  }

  terminate(): Promise<void> {
    this.stop();
    return Promise.resolve();
  }

  private stop(): void {
    this.scope.stopped = true;
  }

  /** Rejects the invocation in progress, if any, when its environment ends before it answers. */
  private failPending: ((error: Error) => void) | undefined;

  /**
   * An error the function's code left uncaught: the environment ends, as a worker's or the Lambda runtime's process
   * would (`Runtime.ExitError`), and what it says goes to the function's log.
   */
  private crash(error: unknown, kind: 'exception' | 'rejection'): void {
    if (this.scope.stopped) return;
    const { errorType, errorMessage } = describeError(error);
    const what = `${kind === 'exception' ? 'uncaught exception' : 'unhandled rejection'} ${errorType}: ${errorMessage}`;
    this.scope.onLine?.(`Runtime exited: ${what}`);
    this.stop();
    const fail = this.failPending;
    this.failPending = undefined;
    fail?.(failure({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited: ${what}` }));
  }
}

const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

function importError(err: unknown): LambdaInvocationFailure {
  return failure({ ...describeError(err), errorType: 'Runtime.ImportModuleError' });
}
