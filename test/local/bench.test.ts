import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs `npm run bench` as a user would, on the test run's DynamoDB Local, and resolves with its exit code and output. */
function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bench', 'bench.ts'), ...args, '--dynamodb-endpoint', endpoint], {
      cwd: ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const measurement = {
  sagas: expect.any(Number),
  seconds: expect.any(Number),
  perSecond: expect.any(Number),
  meanMs: expect.any(Number),
  p50Ms: expect.any(Number),
  p95Ms: expect.any(Number),
  p99Ms: expect.any(Number),
  // This process's CPU only: the bench did not start the DynamoDB Local it was given.
  cpuMsPerSaga: { process: expect.any(Number) },
};

describe('npm run bench --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // A few sagas, but a whole local runtime: on a loaded machine that takes more than jest's default minute.
  it('writes the results as JSON, a markdown report and an SVG chart, each workload at each concurrency', async () => {
    const run = await bench(['--quick', '--isolation', 'inline,worker', '--out', out, '--seed', String(100 + (process.pid % 800))]);

    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const files = readdirSync(out).sort();
    const stamp = files.find((f) => f.endsWith('.json'))!.replace(/\.json$/, '');
    expect(files).toEqual([`${stamp}.json`, `${stamp}.md`, `${stamp}.svg`, 'latest.md', 'latest.svg'].sort());
    const result = JSON.parse(readFileSync(join(out, `${stamp}.json`), 'utf8')) as { rows: Record<string, unknown>[] };
    expect(result.rows.map((r) => `${String(r.isolation)} ${String(r.workload)}@${String(r.concurrency)}`)).toEqual([
      'inline happy@1',
      'inline happy@4',
      'inline mixed@1',
      'inline mixed@4',
      'worker happy@1',
      'worker happy@4',
      'worker mixed@1',
      'worker mixed@4',
    ]);
    for (const row of result.rows) {
      expect(row).toEqual(
        expect.objectContaining({
          saga: measurement,
          storeFloor: measurement,
          engineFloor: measurement,
          throughputRatio: expect.any(Number),
          overheadRatio: expect.any(Number),
          usage: expect.objectContaining({ transitions: expect.any(Number), readUnits: expect.any(Number), writeUnits: expect.any(Number) }),
        }),
      );
    }
    const report = readFileSync(join(out, `${stamp}.md`), 'utf8');
    expect(report).toContain('| functions | workload | concurrency | sagas/s | p50 | p95 | p99 | store floor, sagas/s |');
    expect(report.match(/^\| (inline|worker) \| (happy|mixed) \| \d+ \|/gm)).toHaveLength(16);
    expect(report).toContain(`](${stamp}.svg)`);
    expect(report).toContain('## Cost per million orders on AWS');
    expect(report).toMatch(/^\| cdk-patterns saga shape, happy path \| \$/m);
    const chart = readFileSync(join(out, 'latest.svg'), 'utf8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // Four series (the saga inline and in workers, store floor, engine floor) × two workloads × two panels.
    expect(chart.match(/<polyline /g)).toHaveLength(16);
  }, 240_000);
});
