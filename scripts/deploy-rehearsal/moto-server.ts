import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { MotoServerDidNotStart, PrerequisiteMissing } from './errors';

/** The first executable called `name` on the PATH. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: the next folder of the PATH
    }
  }
  return undefined;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => done(true)));
  });
}

/** A random high port that 127.0.0.1 can bind right now (moto_server takes it a moment later). */
export async function pickFreePort(attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if (await canBind(port)) return port;
  }
  throw new MotoServerDidNotStart(`no free port found on 127.0.0.1 in ${attempts} random tries between 20000 and 59999`);
}

export interface MotoServerOptions {
  /** Where moto_server writes its requests and warnings (the resource types it skips are named there). */
  readonly logFile: string;
  /** How long to wait for it to answer. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * A moto_server of our own on a free loopback port, in a process group of its own, so that stopping it stops
 * exactly it (and a Ctrl-C in the terminal reaches us first, and we stop it).
 *
 * @example
 * const moto = await MotoServer.start({ logFile: '/tmp/moto.log' });
 * try { … moto.endpoint … } finally { await moto.stop(); }
 */
export class MotoServer {
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    /** The port it listens on, on 127.0.0.1. */
    readonly port: number,
    /** Its log file. */
    readonly logFile: string,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  /** `http://localhost:<port>`: moto recognises template URLs by the name localhost (S3 path style). */
  get endpoint(): string {
    return `http://localhost:${this.port}`;
  }

  static async start(options: MotoServerOptions): Promise<MotoServer> {
    const executable = findExecutable('moto_server');
    if (!executable) throw new PrerequisiteMissing('moto_server is not on the PATH: pip install "moto[server]" (moto 5.2.1 was used for the rehearsal)');
    const port = await pickFreePort();
    const log = openSync(options.logFile, 'a');
    const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    const server = new MotoServer(child, port, options.logFile);
    try {
      await server.waitUntilReady(options.timeoutMs ?? 30_000);
    } catch (err: unknown) {
      await server.stop();
      throw err;
    }
    return server;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new MotoServerDidNotStart(`moto_server exited before answering on port ${this.port}:\n${this.logTail()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/moto-api/`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new MotoServerDidNotStart(`moto_server did not answer on port ${this.port} within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** The last lines of its log, for an error message. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops it: SIGTERM to its process group, SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** The synchronous last resort, for `process.on('exit')`: no waiting is possible there. */
  killNow(): void {
    if (!this.exited) this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      // A negative pid: its process group, made by `detached: true` (the pyenv shim and python, no one else).
      process.kill(-this.child.pid!, signal);
    } catch {
      // already gone
    }
  }
}
