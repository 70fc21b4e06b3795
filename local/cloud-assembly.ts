import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A CloudFormation template, as `cdk synth` writes it. */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** A synthesized stack: its template and the cloud assembly folder its assets live in. */
export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
  readonly cdkOut: string;
}

export interface LoadStackOptions {
  /** The CDK app's folder (where `cdk.json` is). @default process.cwd() */
  readonly projectDir?: string;
  /** The cloud assembly folder. @default '<projectDir>/cdk.out' */
  readonly cdkOut?: string;
  /** Which stack, when the app has several. @default - the only stack */
  readonly stackName?: string;
  /** Context to synthesize with (merged over `cdk.json`'s). @default {} */
  readonly context?: Readonly<Record<string, string>>;
  /** `auto`: synthesize when the assembly is missing, older than the sources, or made with other context. @default 'auto' */
  readonly synth?: 'auto' | 'always' | 'never';
  /** Told what is happening (for a progress line). */
  readonly onProgress?: (message: string) => void;
}

/** Raised when the app cannot be synthesized or the assembly cannot be read. */
export class CloudAssemblyError extends Error {
  override readonly name = 'CloudAssemblyError';
}

const STAMP = 'local-synth.json';

interface CdkJson {
  app?: string;
  context?: Record<string, unknown>;
  watch?: { include?: string[] };
}

function readCdkJson(projectDir: string): CdkJson {
  const file = join(projectDir, 'cdk.json');
  if (!existsSync(file)) throw new CloudAssemblyError(`no cdk.json in ${projectDir}: point the runtime at a CDK app`);
  return JSON.parse(readFileSync(file, 'utf8')) as CdkJson;
}

/** The newest modification time among the app's sources (cdk.json's `watch.include` folders, cdk.json itself). */
function newestSource(projectDir: string, cdkJson: CdkJson): number {
  const roots = new Set((cdkJson.watch?.include ?? ['**']).map((pattern) => pattern.split('/')[0].replace(/\*.*$/, '')).filter(Boolean));
  let newest = statSync(join(projectDir, 'cdk.json')).mtimeMs;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules' && !entry.startsWith('.')) visit(join(path, entry));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const root of roots) if (existsSync(join(projectDir, root))) visit(join(projectDir, root));
  return newest;
}

function stackArtifacts(cdkOut: string): { name: string; templateFile: string }[] {
  const manifest = JSON.parse(readFileSync(join(cdkOut, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([name, a]) => ({ name, templateFile: a.properties!.templateFile! }));
}

/** The context to synthesize with: cdk.json's, the caller's, and asset metadata (as the CDK CLI sets it). */
function synthContext(cdkJson: CdkJson, context: Record<string, string>): Record<string, unknown> {
  return { ...cdkJson.context, ...context, 'aws:cdk:enable-asset-metadata': true };
}

async function synthesize(projectDir: string, cdkOut: string, cdkJson: CdkJson, context: Record<string, string>): Promise<void> {
  if (!cdkJson.app) throw new CloudAssemblyError('cdk.json has no "app" command');
  // What `cdk synth` does: run the app with the output folder and context in the environment.
  const env = { ...process.env, CDK_OUTDIR: cdkOut, CDK_CONTEXT_JSON: JSON.stringify(synthContext(cdkJson, context)) };
  const child = spawn(cdkJson.app, { cwd: projectDir, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new CloudAssemblyError(`synthesizing the app failed (exit ${code}):\n${output.trim()}`);
  writeFileSync(join(cdkOut, STAMP), JSON.stringify({ context: synthContext(cdkJson, context) }, null, 2));
}

/**
 * Reads a synthesized stack from the cloud assembly, synthesizing it first when needed (no assembly yet, sources
 * newer than it, or an assembly made with other context).
 */
export async function loadSynthesizedStack(options: LoadStackOptions = {}): Promise<SynthesizedStack> {
  const projectDir = resolve(options.projectDir ?? process.cwd());
  const cdkOut = resolve(options.cdkOut ?? join(projectDir, 'cdk.out'));
  const context = { ...options.context };
  const mode = options.synth ?? 'auto';

  let reason: string | undefined;
  if (mode === 'always') reason = 'asked to';
  else if (mode === 'auto') {
    const cdkJson = readCdkJson(projectDir);
    const stampFile = join(cdkOut, STAMP);
    if (!existsSync(join(cdkOut, 'manifest.json')) || !existsSync(stampFile)) reason = 'no local cloud assembly yet';
    else if (JSON.stringify((JSON.parse(readFileSync(stampFile, 'utf8')) as { context: unknown }).context) !== JSON.stringify(synthContext(cdkJson, context))) {
      reason = 'the assembly was made with other context';
    } else if (newestSource(projectDir, cdkJson) > statSync(stampFile).mtimeMs) reason = 'sources changed';
  }
  if (reason) {
    options.onProgress?.(`synthesizing the stack (${reason})…`);
    await synthesize(projectDir, cdkOut, readCdkJson(projectDir), context);
  } else if (!existsSync(join(cdkOut, 'manifest.json'))) {
    throw new CloudAssemblyError(`no cloud assembly in ${cdkOut}: run \`npx cdk synth\` first`);
  }

  const stacks = stackArtifacts(cdkOut);
  const chosen = options.stackName ? stacks.find((s) => s.name === options.stackName) : stacks.length === 1 ? stacks[0] : undefined;
  if (!chosen) {
    throw new CloudAssemblyError(
      options.stackName
        ? `no stack ${options.stackName} in ${cdkOut} (it has: ${stacks.map((s) => s.name).join(', ') || 'none'})`
        : `${cdkOut} holds ${stacks.length} stacks (${stacks.map((s) => s.name).join(', ')}): name one`,
    );
  }
  const template = JSON.parse(readFileSync(join(cdkOut, chosen.templateFile), 'utf8')) as CfnTemplate;
  return { stackName: chosen.name, template, cdkOut };
}
