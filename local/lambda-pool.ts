import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InlineEnvironment, type ExecutionEnvironment } from './inline-environment';
import { failure, LambdaInvocationFailure, timedOut, type LambdaErrorPayload } from './lambda-errors';
import type { LocalFunction } from './local-stack';

export { LambdaInvocationFailure, type LambdaErrorPayload } from './lambda-errors';

/** Thrown by {@link LambdaPool.invoke} once the pool is closed, and to invocations still waiting for a worker then. */
export class LambdaPoolClosedError extends Error {
  constructor(functionName?: string, options?: ErrorOptions) {
    super(
      functionName === undefined
        ? 'the local Lambda pool is closed'
        : `the local Lambda pool closed while an invocation of ${functionName} was waiting for a worker`,
      options,
    );
    this.name = 'LambdaPoolClosedError';
  }
}

/**
 * Told when an invocation has to wait for a free execution environment, and when it gets one. A Task handler passes its
 * context's `queued` and `started`, so that the wait (the emulator's, not the function's) does not count against
 * the Task's `TimeoutSeconds`.
 */
export interface QueueListener {
  /** The invocation waits for a worker (every worker of its function is busy). */
  queued(): void;
  /** The invocation has a worker (warm, or one starting cold: a cold start counts as the function's, as on AWS). */
  started(): void;
}

export interface LambdaPoolOptions {
  /** Environment every function gets besides its own (endpoints, region, dummy credentials). */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  /** Multiplies each function's timeout (tests run faster with less than 1). @default 1 */
  readonly timeoutScale?: number;
  /** Most warm execution environments per function; further invocations wait for one. @default 8 */
  readonly maxWorkersPerFunction?: number;
  /** Where the functions' code runs (see {@link Isolation}). @default 'inline' */
  readonly isolation?: Isolation;
  /** Receives what functions print (their logs). @default - discarded */
  readonly onLog?: (functionName: string, line: string) => void;
  /**
   * Deliver every invocation twice, at the same time, and return the second delivery's outcome: Lambda's
   * at-least-once delivery at its harshest, to prove handlers idempotent. @default false
   */
  readonly deliverTwice?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const WORKER_FILE = join(__dirname, 'lambda-worker.mjs');

/**
 * Where a local function's code runs:
 * - `inline`: in this process, each execution environment a module instance of its own with its own environment
 *   variables and output (see {@link InlineEnvironment}). Cheap: every environment shares the AWS SDK's loaded,
 *   optimised code. A timed-out invocation is stopped at its next request, not in the middle of a computation.
 * - `worker`: each execution environment a worker thread with its own heap, limited to the function's memory size,
 *   terminated when an invocation times out, whatever it is doing. Each loads and optimises the SDK on its own.
 */
export const ISOLATIONS = ['inline', 'worker'] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** One warm execution environment in a worker thread that has loaded the function's bundle. */
class WarmWorker implements ExecutionEnvironment {
  readonly ready: Promise<void>;
  private rejectReady: ((err: Error) => void) | undefined;
  private pending: Pending | undefined;
  private readonly worker: Worker;
  private dead = false;

  constructor(
    private readonly fn: LocalFunction,
    env: Record<string, string>,
    onLog: ((line: string) => void) | undefined,
  ) {
    this.worker = new Worker(WORKER_FILE, {
      // Nobody reads the function's output: the worker drops it rather than send every log line across threads.
      workerData: { entry: fn.entry, handlerExport: fn.handlerExport, functionName: fn.name, memoryMb: fn.memoryMb, discardOutput: !onLog },
      env,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(fn.memoryMb, 64) },
      execArgv: workerExecArgv(process.execArgv),
      stdout: true,
      stderr: true,
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        if (onLog) for (const line of lines) onLog(line);
      });
    }
    this.ready = new Promise((resolve, reject) => {
      this.rejectReady = reject;
      this.worker.on('message', (message: { type: string; ok?: boolean; payload?: unknown; error?: LambdaErrorPayload }) => {
        if (message.type === 'ready') {
          this.rejectReady = undefined;
          resolve();
        } else if (message.type === 'init-error') reject(failure(message.error!));
        else if (message.type === 'result') {
          const pending = this.pending;
          this.pending = undefined;
          if (message.ok) pending?.resolve(message.payload);
          else pending?.reject(failure(message.error!));
        }
      });
    });
    this.ready.catch(() => undefined);
    this.worker.on('error', (err: Error & { code?: string }) => this.crash(err));
    this.worker.on('exit', (code) => this.crash(new Error(`the runtime exited with code ${code}`)));
  }

  get alive(): boolean {
    return !this.dead;
  }

  /**
   * Runs one invocation, timed from now (the worker is already acquired and ready: neither the wait for it nor its
   * cold start counts against the function's timeout). Past the timeout the worker is terminated, never reused: a
   * hung handler cannot keep holding it, and the pool starts a fresh one for the next invocation.
   */
  invoke(event: unknown, timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        void this.terminate();
        reject(timedOut(timeoutMs));
      }, timeoutMs);
      this.pending = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.worker.postMessage({ type: 'invoke', id: randomUUID(), event, deadline, functionArn: this.fn.arn });
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }

  private crash(err: Error & { code?: string }): void {
    // A worker that stops before it is ready (the pool closed during its cold start) must not leave acquire waiting.
    this.rejectReady?.(new Error(`the runtime exited before it was ready: ${err.message}`));
    this.rejectReady = undefined;
    if (this.dead && !this.pending) return;
    this.dead = true;
    const pending = this.pending;
    this.pending = undefined;
    const outOfMemory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
    pending?.reject(
      failure({
        errorType: outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError',
        errorMessage: outOfMemory ? `Runtime exited with error: out of memory (limit ${this.fn.memoryMb} MB)` : `Runtime exited: ${err.message}`,
      }),
    );
  }
}

/**
 * Runs local Lambda functions in execution environments (inline or in worker threads, see {@link Isolation}), each
 * with its own environment variables and timeout, and keeps them warm between invocations as Lambda does.
 */
export class LambdaPool {
  private readonly idle = new Map<string, ExecutionEnvironment[]>();
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, { resolve(): void; reject(err: Error): void }[]>();
  private readonly all = new Set<ExecutionEnvironment>();
  private closed = false;

  constructor(
    private readonly functions: ReadonlyMap<string, LocalFunction>,
    private readonly options: LambdaPoolOptions,
  ) {}

  /** The function a name or ARN (possibly with a `:qualifier`) refers to. */
  resolve(nameOrArn: string): LocalFunction | undefined {
    const name = nameOrArn.startsWith('arn:') ? nameOrArn.split(':')[6] : nameOrArn.split(':')[0];
    return this.functions.get(name);
  }

  /**
   * Invokes a function and returns its payload, or throws {@link LambdaInvocationFailure} with the error type and
   * cause that Lambda would report ({@link LambdaPoolClosedError} once the pool is closed).
   *
   * @param queue - told when the invocation waits for a worker and when it gets one. With `deliverTwice`, the
   *   invocation counts as queued while either delivery waits, and as started once both have a worker: the Task's
   *   result is the second delivery's and it waits for both, and on AWS the two would run side by side, so a
   *   delivery waiting behind its own twin (with one worker) is the emulator's queue, not the function's run.
   *   @default - nobody is told
   */
  async invoke(nameOrArn: string, event: unknown, queue?: QueueListener): Promise<unknown> {
    if (this.closed) throw new LambdaPoolClosedError();
    const fn = this.resolve(nameOrArn);
    if (!fn) {
      throw new LambdaInvocationFailure('Lambda.ResourceNotFoundException', `Function not found: ${nameOrArn}`, {
        errorType: 'ResourceNotFoundException',
        errorMessage: `Function not found: ${nameOrArn}`,
      });
    }
    if (this.options.deliverTwice) {
      this.duplicates++;
      const both = queue ? new QueuedDeliveries(queue) : undefined;
      const [, second] = await Promise.allSettled([this.deliver(fn, event, both), this.deliver(fn, event, both)]);
      if (second.status === 'rejected') throw second.reason;
      return second.value;
    }
    return this.deliver(fn, event, queue);
  }

  /** Invocations delivered a second time so far (see `deliverTwice`). */
  duplicates = 0;

  private async deliver(fn: LocalFunction, event: unknown, queue: QueueListener | undefined): Promise<unknown> {
    const worker = await this.acquire(fn, queue);
    try {
      return await worker.invoke(event, Math.max(1, Math.round(fn.timeoutSeconds * 1000 * (this.options.timeoutScale ?? 1))));
    } finally {
      this.release(fn, worker);
    }
  }

  /** Starts a warm worker for a function, if it has none yet (a cold start ahead of the first invocation). */
  async warm(nameOrArn: string): Promise<void> {
    const fn = this.resolve(nameOrArn);
    if (!fn || (this.idle.get(fn.name)?.length ?? 0) > 0) return;
    const worker = await this.acquire(fn);
    this.release(fn, worker);
  }

  /**
   * Stops every worker. From then on `invoke` throws {@link LambdaPoolClosedError}, and invocations still waiting for
   * a worker reject with it rather than wait forever.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const [name, waiters] of this.waiting) for (const waiter of waiters.splice(0)) waiter.reject(new LambdaPoolClosedError(name));
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
  }

  private async acquire(fn: LocalFunction, queue?: QueueListener): Promise<ExecutionEnvironment> {
    let queued = false;
    try {
      return await this.acquireWorker(fn, () => {
        if (queued || !queue) return;
        queued = true;
        queue.queued();
      });
    } finally {
      // Told even when the wait ended in an error, so that a listener counting waits stays balanced.
      if (queued) queue?.started();
    }
  }

  private async acquireWorker(fn: LocalFunction, onWait: () => void): Promise<ExecutionEnvironment> {
    const max = this.options.maxWorkersPerFunction ?? 8;
    for (;;) {
      if (this.closed) throw new LambdaPoolClosedError(fn.name);
      const idle = this.idle.get(fn.name) ?? [];
      let worker = idle.pop();
      while (worker && !worker.alive) worker = idle.pop();
      if (worker) {
        this.busy.set(fn.name, (this.busy.get(fn.name) ?? 0) + 1);
        return worker;
      }
      if ((this.busy.get(fn.name) ?? 0) < max) {
        this.busy.set(fn.name, (this.busy.get(fn.name) ?? 0) + 1);
        const fresh = this.spawn(fn);
        try {
          await fresh.ready;
        } catch (err: unknown) {
          this.busy.set(fn.name, (this.busy.get(fn.name) ?? 1) - 1);
          this.all.delete(fresh);
          void fresh.terminate();
          this.wakeOne(fn);
          throw this.closed ? new LambdaPoolClosedError(fn.name, { cause: err }) : err;
        }
        return fresh;
      }
      onWait();
      await new Promise<void>((resolve, reject) => this.waiting.set(fn.name, [...(this.waiting.get(fn.name) ?? []), { resolve, reject }]));
    }
  }

  private release(fn: LocalFunction, worker: ExecutionEnvironment): void {
    this.busy.set(fn.name, (this.busy.get(fn.name) ?? 1) - 1);
    if (worker.alive && !this.closed) this.idle.set(fn.name, [...(this.idle.get(fn.name) ?? []), worker]);
    else this.all.delete(worker);
    this.wakeOne(fn);
  }

  private wakeOne(fn: LocalFunction): void {
    const queue = this.waiting.get(fn.name);
    queue?.shift()?.resolve();
  }

  private spawn(fn: LocalFunction): ExecutionEnvironment {
    const env: Record<string, string> = {
      ...this.options.baseEnvironment,
      ...fn.environment,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      _HANDLER: `index.${fn.handlerExport}`,
      TZ: 'UTC',
    };
    const onLog = this.options.onLog;
    const log = onLog ? (line: string) => onLog(fn.name, line) : undefined;
    const worker = this.options.isolation === 'worker' ? new WarmWorker(fn, env, log) : new InlineEnvironment(fn, env, log);
    this.all.add(worker);
    return worker;
  }
}

/**
 * The two deliveries of one invocation (`deliverTwice`) as one listener: queued while either waits for a worker,
 * started once neither does.
 */
class QueuedDeliveries implements QueueListener {
  private waiting = 0;

  constructor(private readonly listener: QueueListener) {}

  queued(): void {
    this.waiting += 1;
    if (this.waiting === 1) this.listener.queued();
  }

  started(): void {
    this.waiting -= 1;
    if (this.waiting === 0) this.listener.started();
  }
}

/**
 * Node's flags for a worker: the parent's (`--cpu-prof`, `--enable-source-maps`…) less its module loaders. A worker
 * runs plain JavaScript (the bundle, the AWS SDK); a loader the parent runs under (tsx) would compile every module of
 * every cold start through its hooks, which made cold starts several times slower.
 */
export function workerExecArgv(parent: readonly string[]): string[] {
  const loaders = /^(--require|-r|--import|--loader|--experimental-loader)$/;
  const out: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    if (loaders.test(parent[i])) i++;
    else if (!/^(--require|--import|--loader|--experimental-loader)=/.test(parent[i])) out.push(parent[i]);
  }
  return out;
}
