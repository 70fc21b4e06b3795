import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { PrerequisiteMissing, RehearsalStepFailed } from './errors';

const run = promisify(execFile);
const INSPECTOR = join(__dirname, 'inspect-moto.py');

const StackState = z.object({
  name: z.string(),
  status: z.string().optional(),
  reason: z.string().nullish(),
  error: z.string().optional(),
  resources: z.array(z.object({ logicalId: z.string().nullish(), type: z.string().nullish(), status: z.string().nullish() })).optional(),
  resourcesError: z.string().optional(),
});

const Inventory = z.object({
  account: z.string(),
  region: z.string(),
  toolkit: z.object({
    name: z.string(),
    status: z.string().optional(),
    outputs: z.array(z.string()).optional(),
    resources: z.number().optional(),
    error: z.string().optional(),
    bootstrapVersion: z.string().optional(),
    bootstrapVersionError: z.string().optional(),
  }),
  bucketObjects: z.array(z.object({ bucket: z.string(), key: z.string(), size: z.number(), sha256: z.string(), isZip: z.boolean() })),
  bucketErrors: z.record(z.string(), z.string()),
  cfnModelTypes: z.array(z.string()).nullable(),
  cfnModelTypesError: z.string().optional(),
  inventory: z.record(z.string(), z.number()),
  inventoryErrors: z.record(z.string(), z.string()),
  stacks: z.array(StackState),
});

/** What moto holds after the deploy: the bootstrap stack, the bucket's objects, resources by type, the app stacks. */
export type MotoInventory = z.infer<typeof Inventory>;
export type MotoStackState = z.infer<typeof StackState>;

/** The Python that runs moto_server's library here, with its version: `python3` must import moto and boto3. */
export async function motoPython(): Promise<{ python: string; motoVersion: string }> {
  try {
    const { stdout } = await run('python3', ['-c', 'import boto3, moto; print(moto.__version__)']);
    return { python: 'python3', motoVersion: stdout.trim() };
  } catch (err: unknown) {
    throw new PrerequisiteMissing('python3 with moto and boto3 is needed (pip install "moto[server]"): `python3 -c "import moto, boto3"` failed', {
      cause: err,
    });
  }
}

export interface InspectOptions {
  readonly python: string;
  readonly endpoint: string;
  readonly region: string;
  readonly stacks: readonly string[];
  readonly buckets: readonly string[];
}

/** Asks moto, through boto3, what it holds (scripts/deploy-rehearsal/inspect-moto.py). */
export async function inspectMoto(options: InspectOptions): Promise<MotoInventory> {
  const args = [INSPECTOR, '--endpoint', options.endpoint, '--region', options.region];
  for (const stack of options.stacks) args.push('--stack', stack);
  for (const bucket of options.buckets) args.push('--bucket', bucket);
  let stdout: string;
  try {
    ({ stdout } = await run(options.python, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }));
  } catch (err: unknown) {
    throw new RehearsalStepFailed('inspecting moto failed (inspect-moto.py)', { cause: err });
  }
  const parsed = Inventory.safeParse(JSON.parse(stdout));
  if (!parsed.success) throw new RehearsalStepFailed(`inspect-moto.py answered an unexpected shape: ${parsed.error.message}`);
  return parsed.data;
}
