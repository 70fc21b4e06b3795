import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { MockConfig } from '../../local/mock-config';
import type { RunOutcome } from './compare';

/** The driver of moto's interpreter and its JSONata bridge (tools/crosscheck/). */
const TOOLS = join(__dirname, '..', '..', 'tools', 'crosscheck');
const DRIVER = join(TOOLS, 'moto-driver.py');
const BRIDGE = join(TOOLS, 'jsonata-bridge.cjs');

/** Raised when moto's side cannot run at all (as opposed to a case that ran and disagrees). */
export class MotoDriverError extends Error {
  override readonly name = 'MotoDriverError';
}

/** Whether moto's interpreter can run here, and which versions, or why not. */
export type MotoAvailability = { readonly available: true; readonly python: string; readonly moto: string } | { readonly available: false; readonly reason: string };

/** One execution for moto: a test case of a state machine of the MockConfigFile, its input and execution name. */
export interface MotoCase {
  readonly id: string;
  readonly machine: string;
  readonly testCase: string;
  readonly executionName: string;
  readonly input: unknown;
}

/** What the driver tells of one case beyond the compared outcome. */
export interface MotoOutcome extends RunOutcome {
  readonly id: string;
  readonly attempts?: Readonly<Record<string, number>>;
  readonly unmockedTasks?: readonly string[];
  readonly stoppedBranchTasks?: number;
}

export interface MotoRun {
  readonly outcomes: ReadonlyMap<string, MotoOutcome>;
  readonly moto: string;
  readonly jsonata: string;
  readonly seconds: number;
}

interface DriverLine {
  readonly id?: string;
  readonly status?: string;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly output?: unknown;
  readonly statesEntered?: string[];
  readonly attempts?: Record<string, number>;
  readonly unmockedTasks?: string[];
  readonly stoppedBranchTasks?: number;
  readonly python?: string;
  readonly moto?: string;
  readonly missing?: string;
  readonly setupError?: string;
  readonly summary?: { moto: string; jsonata: string; seconds: number };
}

/** Runs the driver with `args`, writing `stdin`; every line it prints, parsed, then its exit code and standard error. */
function runDriver(python: string, args: string[], stdin?: string): Promise<{ lines: DriverLine[]; code: number | null; stderr: string; spawnError?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const child = spawn(python, [DRIVER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: DriverLine[] = [];
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (err: NodeJS.ErrnoException) => (spawnError = err));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as DriverLine);
      } catch {
        stderr += `${line}\n`;
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
    child.on('close', (code) => resolve({ lines, code, stderr, spawnError }));
  });
}

/** Whether `python` can run moto's interpreter (fast: imports nothing). */
export async function probeMoto(python: string): Promise<MotoAvailability> {
  const { lines, code, stderr, spawnError } = await runDriver(python, ['--probe']);
  if (spawnError) return { available: false, reason: spawnError.code === 'ENOENT' ? `${python} was not found${python.includes('/') ? '' : ' on the PATH'}` : `${python} cannot run: ${spawnError.message}` };
  const found = lines[0];
  if (code === 3 && found?.missing) return { available: false, reason: `${found.missing} for ${python} (Python ${found.python ?? '?'}; pip install 'moto[stepfunctions]==5.2.1')` };
  if (code !== 0 || !found?.moto) throw new MotoDriverError(`the moto driver's probe failed (exit ${code}): ${stderr.trim() || JSON.stringify(found)}`);
  return { available: true, python: found.python ?? '?', moto: found.moto };
}

/**
 * Runs every case in moto's interpreter, strictly (no compatibility shim), in one Python process: the state
 * machines are created once, the cases run one after another.
 */
export async function runOnMoto(
  python: string,
  request: { machines: readonly { name: string; definition: unknown }[]; mockConfig: MockConfig; cases: readonly MotoCase[]; region: string; account: string },
): Promise<MotoRun> {
  const { lines, code, stderr, spawnError } = await runDriver(
    python,
    [],
    JSON.stringify({
      node: process.execPath,
      bridge: BRIDGE,
      account: request.account,
      region: request.region,
      timeoutSeconds: 30,
      mockConfig: request.mockConfig,
      machines: request.machines.map((m) => ({ name: m.name, definition: JSON.stringify(m.definition) })),
      cases: request.cases.map((c) => ({ ...c, input: JSON.stringify(c.input) })),
    }),
  );
  if (spawnError) throw new MotoDriverError(`cannot run ${python}: ${spawnError.message}`);
  const setupError = lines.find((l) => l.setupError)?.setupError;
  const summary = lines.find((l) => l.summary)?.summary;
  if (code !== 0 || setupError || !summary) {
    throw new MotoDriverError(`moto's interpreter could not run the cases (exit ${code}): ${setupError ?? (stderr.trim() || 'no summary line')}`);
  }
  const outcomes = new Map<string, MotoOutcome>();
  // Attempts beyond each entry of a Task state. A stopped Parallel branch may have entered a Task without attempting it.
  const retries = (attempts: Readonly<Record<string, number>>, entered: readonly string[]) =>
    Object.entries(attempts).reduce((sum, [state, n]) => sum + Math.max(0, n - entered.filter((s) => s === state).length), 0);
  for (const line of lines) {
    if (!line.id || !line.status) continue;
    outcomes.set(line.id, {
      id: line.id,
      status: line.status,
      error: line.error ?? undefined,
      cause: line.cause ?? undefined,
      output: line.status === 'SUCCEEDED' ? line.output : undefined,
      statesEntered: line.statesEntered ?? [],
      retries: line.attempts ? retries(line.attempts, line.statesEntered ?? []) : undefined,
      attempts: line.attempts,
      unmockedTasks: line.unmockedTasks,
      stoppedBranchTasks: line.stoppedBranchTasks,
    });
  }
  return { outcomes, moto: summary.moto, jsonata: summary.jsonata, seconds: summary.seconds };
}
