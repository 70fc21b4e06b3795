import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AssemblyManifest, readAssemblyManifest } from './assembly-manifest';
import { PrerequisiteMissing, RehearsalStepFailed } from './errors';
import { type MotoInventory, inspectMoto, motoPython } from './moto-inventory';
import { MotoServer } from './moto-server';

/** How `cdk deploy` creates the stack: `direct` is CreateStack, `change-set` is what `npm run deploy` does on AWS. */
export type DeployMethod = 'direct' | 'change-set';

export interface RehearsalOptions {
  /** The CDK app's folder (where cdk.json and node_modules are). */
  readonly projectDir: string;
  /** Where the cloud assembly and the logs go: the shared cdk.out is left alone. */
  readonly workDir: string;
  /**
   * `direct` gets further in moto 5.2.1: its change-set execution creates resources in template order and ignores
   * `DependsOn` (an API Gateway deployment before its methods). @default 'direct'
   */
  readonly method?: DeployMethod;
  /** Context for the synth, over cdk.json's (`faultInjection` is `false` unless given). @default {} */
  readonly context?: Readonly<Record<string, string>>;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Where the commands' output goes as it comes. @default process.stdout */
  readonly out?: NodeJS.WritableStream;
}

/** One thing the rehearsal proves, or fails to. */
export interface Check {
  readonly name: 'bootstrap' | 'assets' | 'stack';
  readonly ok: boolean;
  readonly detail: string;
}

/** What became of one resource type of the app's templates. */
export interface TypeOutcome {
  readonly type: string;
  readonly inTemplate: number;
  /** Found in moto through its own API, when the rehearsal lists that type. */
  readonly inMoto?: number;
  readonly verdict: 'created' | 'partly created' | 'not created' | 'skipped by moto' | 'not listed';
}

export interface StackOutcome {
  readonly stackName: string;
  readonly status: string;
  /** moto's own error where the creation stopped (the deploy only shows an SDK parse error). */
  readonly stoppedBecause?: string;
  /** The resources DescribeStackResources lists, when moto can list them. */
  readonly listedResources?: number;
}

export interface RehearsalResult {
  readonly motoVersion: string;
  readonly endpoint: string;
  readonly method: DeployMethod;
  readonly workDir: string;
  readonly checks: readonly Check[];
  readonly stacks: readonly StackOutcome[];
  readonly types: readonly TypeOutcome[];
  /** The last error line of `cdklocal deploy`, when it failed. */
  readonly deployError?: string;
  readonly seconds: { readonly synth: number; readonly bootstrap: number; readonly deploy: number; readonly total: number };
}

interface CommandResult {
  readonly code: number;
  readonly output: string;
  readonly seconds: number;
}

const CDK_ENV = {
  // Loopback only: no notices, no telemetry, no version check against the npm registry.
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

/**
 * A deploy rehearsal against moto: synth, `cdklocal bootstrap`, `cdklocal deploy --all`, then what moto holds,
 * checked against the cloud assembly. Stops its moto_server at the end, on error, and on {@link abort}.
 *
 * @example
 * const rehearsal = new DeployRehearsal({ projectDir: process.cwd(), workDir: mkdtempSync('/tmp/rehearse-') });
 * const result = await rehearsal.run();
 */
export class DeployRehearsal {
  private moto?: MotoServer;
  private current?: ChildProcess;
  private readonly method: DeployMethod;
  private readonly region: string;
  private readonly out: NodeJS.WritableStream;

  constructor(private readonly options: RehearsalOptions) {
    this.method = options.method ?? 'direct';
    this.region = options.region ?? 'us-east-1';
    this.out = options.out ?? process.stdout;
  }

  async run(): Promise<RehearsalResult> {
    const started = Date.now();
    const cdklocal = join(this.options.projectDir, 'node_modules', '.bin', 'cdklocal');
    if (!existsSync(cdklocal)) throw new PrerequisiteMissing(`${cdklocal} is missing: npm ci (aws-cdk-local and aws-cdk are devDependencies)`);
    const { python, motoVersion } = await motoPython();
    try {
      this.moto = await MotoServer.start({ logFile: join(this.options.workDir, 'moto.log') });
      const endpoint = this.moto.endpoint;
      this.say(`▸ moto ${motoVersion} on ${endpoint} (127.0.0.1:${this.moto.port}), log ${this.moto.logFile}`);

      const cdkOut = join(this.options.workDir, 'cdk.out');
      const context = { faultInjection: 'false', ...this.options.context };
      const contextArgs = Object.entries(context).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
      const synth = await this.cdklocal(cdklocal, ['synth', '--quiet', '--no-notices', '-o', cdkOut, ...contextArgs], 'synth');
      if (synth.code !== 0) throw new RehearsalStepFailed(`cdklocal synth failed (exit ${synth.code}): see above`);
      const account = process.env.MOTO_ACCOUNT_ID ?? '123456789012';
      const manifest = readAssemblyManifest(cdkOut, account, this.region);
      this.say(`▸ stacks: ${manifest.stacks.map((s) => s.stackName).join(', ')}; ${manifest.assets.length} assets to publish`);

      const bootstrap = await this.cdklocal(cdklocal, ['bootstrap', '--no-notices', '--app', cdkOut], 'bootstrap');
      const deployArgs = ['deploy', '--all', '--no-notices', '--app', cdkOut, '--require-approval', 'never', '--method', this.method];
      const deploy = await this.cdklocal(cdklocal, deployArgs, 'deploy');

      this.say('▸ asking moto what it holds');
      const inventory = await inspectMoto({
        python,
        endpoint,
        region: this.region,
        stacks: manifest.stacks.map((s) => s.stackName),
        buckets: [...new Set(manifest.assets.map((a) => a.bucket))],
      });
      return {
        motoVersion,
        endpoint,
        method: this.method,
        workDir: this.options.workDir,
        checks: [bootstrapCheck(bootstrap, inventory), assetsCheck(manifest, inventory, cdkOut), ...stackChecks(inventory)],
        stacks: inventory.stacks.map(stackOutcome),
        types: typeOutcomes(manifest, inventory, cdkOut),
        deployError: deploy.code === 0 ? undefined : lastErrorLine(deploy.output),
        seconds: { synth: synth.seconds, bootstrap: bootstrap.seconds, deploy: deploy.seconds, total: (Date.now() - started) / 1000 },
      };
    } finally {
      await this.stop();
    }
  }

  /** Stops what is running (the current cdklocal command, moto_server): for Ctrl-C and SIGTERM. */
  async abort(): Promise<void> {
    if (this.current && this.current.exitCode === null) this.current.kill('SIGTERM');
    await this.stop();
  }

  /** For `process.on('exit')`, where nothing can be awaited. */
  killNow(): void {
    this.moto?.killNow();
  }

  private async stop(): Promise<void> {
    const moto = this.moto;
    this.moto = undefined;
    if (moto) {
      await moto.stop();
      this.say(`▸ moto_server on port ${moto.port} stopped`);
    }
  }

  private say(line: string): void {
    this.out.write(`${line}\n`);
  }

  /** Runs cdklocal against moto, its output shown as it comes and kept in <workDir>/<name>.log. */
  private cdklocal(executable: string, args: string[], name: string): Promise<CommandResult> {
    const endpoint = this.moto!.endpoint;
    // cdklocal 3.x keeps the AWS_* variables it is given only for AWS_ENDPOINT_URL*, and refuses AWS_ENDPOINT_URL
    // without AWS_ENDPOINT_URL_S3; it fills in test credentials and the region itself. The rest are dropped here
    // too, so no profile of this machine is ever read.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
    Object.assign(env, CDK_ENV, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
    });
    this.say(`▸ cdklocal ${args.join(' ')}`);
    const started = Date.now();
    const log = createWriteStream(join(this.options.workDir, `${name}.log`));
    const child = spawn(executable, args, { cwd: this.options.projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.current = child;
    let output = '';
    const tee = (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
      this.out.write(chunk);
    };
    child.stdout.on('data', tee);
    child.stderr.on('data', tee);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        log.end();
        this.current = undefined;
        resolve({ code: code ?? (signal ? 128 : 1), output, seconds: (Date.now() - started) / 1000 });
      });
    });
  }
}

function lastErrorLine(output: string): string | undefined {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /Error:|failed/.test(line))
    .slice(-2)
    .join(' ');
}

function bootstrapCheck(bootstrap: CommandResult, inventory: MotoInventory): Check {
  const { toolkit } = inventory;
  const ok = bootstrap.code === 0 && toolkit.status === 'CREATE_COMPLETE' && toolkit.bootstrapVersion !== undefined;
  const version = toolkit.bootstrapVersion ?? toolkit.bootstrapVersionError ?? 'absent';
  const detail = ok
    ? `${toolkit.name} ${toolkit.status}, ${toolkit.resources ?? '?'} resources, /cdk-bootstrap/hnb659fds/version = ${version}`
    : `cdklocal bootstrap exit ${bootstrap.code}; ${toolkit.name}: ${toolkit.status ?? toolkit.error ?? 'absent'}; version: ${version}`;
  return { name: 'bootstrap', ok, detail };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function assetsCheck(manifest: AssemblyManifest, inventory: MotoInventory, cdkOut: string): Check {
  const objects = new Map(inventory.bucketObjects.map((o) => [`${o.bucket}/${o.key}`, o]));
  const problems: string[] = [];
  let zips = 0;
  let identical = 0;
  for (const asset of manifest.assets) {
    const object = objects.get(`${asset.bucket}/${asset.key}`);
    if (!object) problems.push(`${asset.displayName}: s3://${asset.bucket}/${asset.key} missing`);
    else if (asset.packaging === 'zip') {
      if (object.isZip && object.size > 0) zips++;
      else problems.push(`${asset.displayName}: ${asset.key} is not a zip file`);
    } else if (object.sha256 === sha256(join(cdkOut, asset.sourcePath))) identical++;
    else problems.push(`${asset.displayName}: ${asset.key} differs from ${asset.sourcePath}`);
  }
  for (const image of manifest.dockerImages) problems.push(`${image}: a container image, not published (no Docker)`);
  for (const [bucket, error] of Object.entries(inventory.bucketErrors)) problems.push(`s3://${bucket}: ${error}`);
  const buckets = [...new Set(manifest.assets.map((a) => a.bucket))].map((b) => `s3://${b}`).join(', ');
  const found = zips + identical;
  const detail =
    `${found}/${manifest.assets.length} objects of the asset manifests in ${buckets} ` +
    `(${zips} zip bundles, ${identical} byte-identical to the assembly's file)`;
  const ok = problems.length === 0;
  return { name: 'assets', ok, detail: ok ? detail : `${detail}; ${problems.join('; ')}` };
}

function stackChecks(inventory: MotoInventory): Check[] {
  return inventory.stacks.map((stack) => ({
    name: 'stack',
    ok: stack.status === 'CREATE_COMPLETE',
    detail: `${stack.name} ${stack.status ?? stack.error ?? 'absent'}`,
  }));
}

function stackOutcome(stack: MotoInventory['stacks'][number]): StackOutcome {
  return {
    stackName: stack.name,
    status: stack.status ?? stack.error ?? 'absent',
    stoppedBecause: stack.status === 'CREATE_COMPLETE' ? undefined : (stack.resourcesError ?? stack.reason ?? undefined),
    listedResources: stack.resources?.length,
  };
}

function typeOutcomes(manifest: AssemblyManifest, inventory: MotoInventory, cdkOut: string): TypeOutcome[] {
  const counts = new Map<string, number>();
  for (const stack of manifest.stacks) {
    const template = JSON.parse(readFileSync(join(cdkOut, stack.templateFile), 'utf8')) as { Resources?: Record<string, { Type: string }> };
    for (const resource of Object.values(template.Resources ?? {})) counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
  }
  const models = inventory.cfnModelTypes ? new Set(inventory.cfnModelTypes) : undefined;
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, inTemplate]): TypeOutcome => {
      const inMoto = inventory.inventory[type];
      if (models && !models.has(type)) return { type, inTemplate, inMoto, verdict: 'skipped by moto' };
      if (inMoto === undefined) return { type, inTemplate, verdict: 'not listed' };
      const verdict = inMoto >= inTemplate ? 'created' : inMoto > 0 ? 'partly created' : 'not created';
      return { type, inTemplate, inMoto, verdict };
    });
}
