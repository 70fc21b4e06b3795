/**
 * `npx tsx bench/cold-start.ts [--runs 15]`: each handler's bundle size, and its cold initialisation (a fresh Node
 * process importing it, as Lambda's init phase does) beside the same handler bundled two other ways:
 * - **ours**, as `TaskFunction` builds it: CommonJS, minified, dependencies read as ES modules (`module` before
 *   `main`) so that esbuild drops what the handler does not use, and `@aws-sdk/*` left to the runtime, which
 *   provides it;
 * - **the SDK bundled, tree-shaken**: the same, with the AWS SDK v3 inside, read as ES modules too;
 * - **the full SDK bundled**: the AWS SDK inside as its packages publish it for Node (`main`: CommonJS, whole), as a
 *   bundle that does not pick the SDK's ES modules gets it.
 * Runs alternate, and the medians are compared, so that the machine's load weighs on all alike. See bench/README.md.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const LAMBDAS = path.join(__dirname, '..', 'lambdas');
const HANDLERS = readdirSync(LAMBDAS)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => /export const handler\b/.test(readFileSync(path.join(LAMBDAS, `${name}.ts`), 'utf8')));

type Variant = 'ours' | 'treeShaken' | 'full';

const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

async function bundle(handler: string, outDir: string, variant: Variant): Promise<string> {
  const format = variant === 'treeShaken' ? 'esm' : 'cjs';
  const outfile = path.join(outDir, variant, handler, format === 'esm' ? 'index.mjs' : 'index.js');
  await build({
    entryPoints: [path.join(LAMBDAS, `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    format,
    target: 'node22',
    minify: true,
    mainFields: variant === 'full' ? ['main'] : ['module', 'main'],
    external: variant === 'ours' ? ['@aws-sdk/*'] : [],
    banner: format === 'esm' ? { js: BANNER } : undefined,
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Milliseconds a fresh Node process takes to import the bundle (its module scope run: clients, logger, schemas). */
function coldInit(file: string): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t0));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: path.join(__dirname, '..'),
    env: {
      ...process.env,
      TABLE_NAME: 'bench',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
  return Number(run.stdout);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 15;
  // Inside the project, so that the external SDK resolves from its node_modules (on Lambda: the runtime's).
  const cache = path.join(__dirname, '..', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(path.join(cache, 'cold-start-'));
  try {
    console.log(
      `| handler | ours: bundle | cold init (median of ${runs}) | SDK bundled, tree-shaken: bundle | cold init | full SDK bundled: bundle | cold init | ours ÷ tree-shaken | ours ÷ full |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const handler of HANDLERS) {
      const variants: Variant[] = ['ours', 'treeShaken', 'full'];
      const files = await Promise.all(variants.map((v) => bundle(handler, outDir, v)));
      const times: number[][] = variants.map(() => []);
      for (let i = 0; i < runs; i++) files.forEach((file, j) => times[j].push(coldInit(file)));
      const kb = (file: string) => `${(statSync(file).size / 1024).toFixed(1)} KB`;
      const [ours, shaken, full] = times.map(median);
      const cells = files.map((file, j) => `${kb(file)} | ${median(times[j]).toFixed(0)} ms`);
      console.log(`| ${handler} | ${cells.join(' | ')} | ${(ours / shaken).toFixed(2)} | ${(ours / full).toFixed(2)} |`);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
