import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { app: string; context: Record<string, unknown> };

/** Whether cfn-lint is on this machine (CI's has it; without it the summary line of `npm test` says so). */
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;

interface Synth {
  readonly code: number | null;
  readonly output: string;
  readonly templateFile: string;
  readonly template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
}

/**
 * Runs cdk.json's app command the way the CDK CLI does: cdk.json's context (plus `-c` values) as CDK_CONTEXT_JSON,
 * the output folder as CDK_OUTDIR, and the account and region the CLI found as CDK_DEFAULT_ACCOUNT / _REGION (unset
 * for an environment-agnostic stack). Bundling is skipped: the template is the same, only the assets' contents differ.
 */
async function synthAsTheCli(region: string | undefined, context: Record<string, string>): Promise<Synth> {
  const outdir = mkdtempSync(join(tmpdir(), 'saga-cli-synth-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] }),
  };
  delete env.CDK_DEFAULT_REGION;
  delete env.CDK_DEFAULT_ACCOUNT;
  if (region) Object.assign(env, { CDK_DEFAULT_REGION: region, CDK_DEFAULT_ACCOUNT: '111111111111' });
  const child = spawn(cdkJson.app, { cwd: ROOT, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const stackName = context.stage ? `ServerlessSaga-${context.stage}` : 'ServerlessSaga';
  const templateFile = join(outdir, `${stackName}.template.json`);
  const template = code === 0 ? (JSON.parse(readFileSync(templateFile, 'utf8')) as Synth['template']) : { Resources: {} };
  return { code, output, templateFile, template };
}

const environments = [
  ['environment-agnostic', undefined, {}],
  ['us-east-1 (the CLI with no region configured)', 'us-east-1', {}],
  ['eu-west-1, stage dev, alarm email', 'eu-west-1', { stage: 'dev', alarmEmail: 'ops@example.com' }],
  ['cn-north-1 (aws-cn), stage prod', 'cn-north-1', { stage: 'prod' }],
] as const;

describe('the app synthesized as the CDK CLI runs it', () => {
  const synths = new Map<string, Promise<Synth>>();
  beforeAll(() => {
    for (const [name, region, context] of environments) synths.set(name, synthAsTheCli(region, context));
  });

  it.each(environments)('%s: synthesizes with cdk-nag clean', async (name) => {
    const synth = await synths.get(name)!;

    // On failure, the report's findings (the lines from the first ERROR), not the minified frames before them.
    expect({ code: synth.code, output: synth.code === 0 ? '' : synth.output.slice(Math.max(0, synth.output.indexOf('ERROR'))).slice(0, 4000) }).toEqual({
      code: 0,
      output: '',
    });
    expect(Object.keys(synth.template.Resources).length).toBeGreaterThan(50);
  }, 120_000);

  it('writes ARNs in the partition of the region: arn:aws-cn: in cn-north-1', async () => {
    const cn = JSON.stringify((await synths.get(environments[3][0])!).template);
    const eu = JSON.stringify((await synths.get(environments[2][0])!).template);

    expect(cn).toContain('arn:aws-cn:states:cn-north-1:111111111111:execution:');
    expect(cn).not.toContain('arn:aws:');
    expect(eu).toContain('arn:aws:states:eu-west-1:111111111111:execution:');
  }, 120_000);

  it('gives every alarm an action, the stack\'s topic, and subscribes the alarm email', async () => {
    const { template } = await synths.get(environments[2][0])!;
    const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const [topic] = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic').map(([id]) => id);

    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topic }]);
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::SNS::Subscription').map((r) => r.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic } },
    ]);
  }, 120_000);

  it('retains the data of prod and logs it at ERROR without execution data; a dev stage destroys its data', async () => {
    const policies = async (name: string) => {
      const { template } = await synths.get(name)!;
      const resources = Object.values(template.Resources) as { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }[];
      return {
        tables: [...new Set(resources.filter((r) => r.Type === 'AWS::DynamoDB::Table').map((r) => r.DeletionPolicy))],
        queues: [...new Set(resources.filter((r) => r.Type === 'AWS::SQS::Queue' && JSON.stringify(r).includes('1209600')).map((r) => r.DeletionPolicy))],
        logging: [...new Set(resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine').map((r) => JSON.stringify(r.Properties?.LoggingConfiguration && { ...r.Properties.LoggingConfiguration, Destinations: undefined })))],
      };
    };

    expect(await policies(environments[3][0])).toEqual({ tables: ['Retain'], queues: ['Retain'], logging: [JSON.stringify({ IncludeExecutionData: false, Level: 'ERROR' })] });
    expect(await policies(environments[2][0])).toEqual({ tables: ['Delete'], queues: ['Delete'], logging: [JSON.stringify({ IncludeExecutionData: true, Level: 'ALL' })] });
  }, 120_000);

  if (cfnLint) {
    it.each(environments)('%s: cfn-lint finds no error (.cfnlintrc.yaml ignores only W3005)', async (name) => {
      const { code, templateFile } = await synths.get(name)!;
      expect(code).toBe(0);

      const lint = spawnSync('cfn-lint', ['--config-file', join(ROOT, '.cfnlintrc.yaml'), '--', templateFile], { encoding: 'utf8' });

      expect({ status: lint.status, findings: lint.stdout.trim() }).toEqual({ status: 0, findings: '' });
    }, 120_000);
  }
});
