/**
 * `npx tsx bench/cold-start.ts [--runs 15]`: each handler's bundle size, and its cold initialisation (a fresh Node
 * process importing it, as Lambda's init phase does) beside the same handler bundled with the full AWS SDK v3 inside.
 * Both bundles are built here with esbuild as `TaskFunction` builds them (ESM, minified, `module` before `main`); ours
 * leaves `@aws-sdk/*` to the runtime, which provides it, the other bundles it. Runs alternate, and the medians are
 * compared, so that the machine's load weighs on both alike. See bench/README.md.
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

const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

async function bundle(handler: string, outDir: string, sdk: 'runtime' | 'bundled'): Promise<string> {
  const outfile = path.join(outDir, sdk, handler, 'index.mjs');
  await build({
    entryPoints: [path.join(LAMBDAS, `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    external: sdk === 'runtime' ? ['@aws-sdk/*'] : [],
    banner: { js: BANNER },
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
    console.log(`| handler | bundle | cold init (median of ${runs}) | with the full AWS SDK bundled: size | cold init | ratio |`);
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const handler of HANDLERS) {
      const ours = await bundle(handler, outDir, 'runtime');
      const full = await bundle(handler, outDir, 'bundled');
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < runs; i++) {
        a.push(coldInit(ours));
        b.push(coldInit(full));
      }
      const kb = (file: string) => `${(statSync(file).size / 1024).toFixed(1)} KB`;
      console.log(`| ${handler} | ${kb(ours)} | ${median(a).toFixed(0)} ms | ${kb(full)} | ${median(b).toFixed(0)} ms | ${(median(a) / median(b)).toFixed(2)} |`);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
