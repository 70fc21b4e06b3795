import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from './local-stack';

/** How a Lambda function failed, as the Lambda service reports it. */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** A failed invocation: `name` is the error type Step Functions matches on, `message` the JSON cause. */
export class LambdaInvocationFailure extends Error {
  constructor(
    readonly errorType: string,
    readonly cause: string,
    readonly payload: LambdaErrorPayload,
  ) {
    super(cause);
    this.name = errorType;
  }
}

export interface LambdaPoolOptions {
  /** Environment every function gets besides its own (endpoints, region, dummy credentials). */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  /** Multiplies each function's timeout (tests run faster with less than 1). @default 1 */
  readonly timeoutScale?: number;
  /** Most warm workers per function; further invocations wait for one. @default 8 */
  readonly maxWorkersPerFunction?: number;
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

/** One warm execution environment: a worker thread that has loaded the function's bundle. */
class WarmWorker {
  readonly ready: Promise<void>;
  private pending: Pending | undefined;
  private readonly worker: Worker;
  private dead = false;

  constructor(
    private readonly fn: LocalFunction,
    env: Record<string, string>,
    onLog: ((line: string) => void) | undefined,
  ) {
    this.worker = new Worker(WORKER_FILE, {
      workerData: { entry: fn.entry, handlerExport: fn.handlerExport, functionName: fn.name, memoryMb: fn.memoryMb },
      env,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(fn.memoryMb, 64) },
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
      this.worker.on('message', (message: { type: string; ok?: boolean; payload?: unknown; error?: LambdaErrorPayload }) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error') reject(failure(message.error!));
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
 * Runs local Lambda functions in worker threads, each with its own environment, memory limit and timeout, and
 * keeps them warm between invocations as Lambda does.
 */
export class LambdaPool {
  private readonly idle = new Map<string, WarmWorker[]>();
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly all = new Set<WarmWorker>();
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
   * cause that Lambda would report.
   */
  async invoke(nameOrArn: string, event: unknown): Promise<unknown> {
    if (this.closed) throw new Error('the local Lambda pool is closed');
    const fn = this.resolve(nameOrArn);
    if (!fn) {
      throw new LambdaInvocationFailure('Lambda.ResourceNotFoundException', `Function not found: ${nameOrArn}`, {
        errorType: 'ResourceNotFoundException',
        errorMessage: `Function not found: ${nameOrArn}`,
      });
    }
    if (this.options.deliverTwice) {
      this.duplicates++;
      const [, second] = await Promise.allSettled([this.deliver(fn, event), this.deliver(fn, event)]);
      if (second.status === 'rejected') throw second.reason;
      return second.value;
    }
    return this.deliver(fn, event);
  }

  /** Invocations delivered a second time so far (see `deliverTwice`). */
  duplicates = 0;

  private async deliver(fn: LocalFunction, event: unknown): Promise<unknown> {
    const worker = await this.acquire(fn);
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

  /** Stops every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
  }

  private async acquire(fn: LocalFunction): Promise<WarmWorker> {
    const max = this.options.maxWorkersPerFunction ?? 8;
    for (;;) {
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
          throw err;
        }
        return fresh;
      }
      await new Promise<void>((resolve) => this.waiting.set(fn.name, [...(this.waiting.get(fn.name) ?? []), resolve]));
    }
  }

  private release(fn: LocalFunction, worker: WarmWorker): void {
    this.busy.set(fn.name, (this.busy.get(fn.name) ?? 1) - 1);
    if (worker.alive && !this.closed) this.idle.set(fn.name, [...(this.idle.get(fn.name) ?? []), worker]);
    else this.all.delete(worker);
    this.wakeOne(fn);
  }

  private wakeOne(fn: LocalFunction): void {
    const queue = this.waiting.get(fn.name);
    queue?.shift()?.();
  }

  private spawn(fn: LocalFunction): WarmWorker {
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
    const worker = new WarmWorker(fn, env, onLog ? (line) => onLog(fn.name, line) : undefined);
    this.all.add(worker);
    return worker;
  }
}

function failure(error: LambdaErrorPayload): LambdaInvocationFailure {
  return new LambdaInvocationFailure(error.errorType, JSON.stringify(error), error);
}

/**
 * A function that ran past its timeout. Step Functions reports it as an unhandled Lambda error, `Lambda.Unknown`,
 * because the runtime returned no error type (see "Handle Lambda service exceptions" in the Step Functions guide).
 */
function timedOut(timeoutMs: number): LambdaInvocationFailure {
  const payload = { errorMessage: `${new Date().toISOString()} ${randomUUID()} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` };
  return new LambdaInvocationFailure(
    'Lambda.Unknown',
    `The cause could not be determined because Lambda did not return an error type. Returned payload: ${JSON.stringify(payload)}`,
    { errorType: 'Lambda.Unknown', errorMessage: payload.errorMessage },
  );
}
