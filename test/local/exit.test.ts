import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Exit {
  code: number | null;
  stdout: string;
  /** Milliseconds from the last output the command wrote (stdout or stderr) to the process's exit. */
  lingeredMs: number;
}

/** Runs the saga command and times, from the child's own events, how long it lives after its last output. */
function timeExit(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'saga.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '' },
    });
    let stdout = '';
    let lastOutput = performance.now();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      lastOutput = performance.now();
    });
    child.stderr.on('data', () => (lastOutput = performance.now()));
    child.on('exit', (code) => {
      const lingeredMs = performance.now() - lastOutput;
      child.on('close', () => resolve({ code, stdout, lingeredMs }));
    });
  });
}

describe('saga soak', () => {
  it('exits within 5 s of its report, timed-out invocations and all', async () => {
    // Timeout faults leave invocations sleeping in their workers past the function's timeout (scaled down here).
    const run = await timeExit(['soak', '--sagas', '30', '--seed', '5', '--time-scale', '0.2', '--workers', '2']);

    expect(run.stdout).toContain('invariant violations: 0');
    // A function ran past its timeout (Lambda.Unknown): its worker was terminated, and nothing of it outlives the report.
    expect(run.stdout).toContain('failed with Lambda.Unknown');
    expect(run.code).toBe(0);
    expect(run.lingeredMs).toBeLessThan(5_000);
  });
});
