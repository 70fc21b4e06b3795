import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generateMockConfig } from '../../cli/mock-config';
import { loadSynthesizedStack } from '../../local/cloud-assembly';
import { resolveLocalStack } from '../../local/local-stack';
import { validateMockConfig } from '../../local/mock-config';
import { E2E_CONTEXT } from '../helpers/global-setup';
import { allStates, type AslDefinition } from '../helpers/asl';

const ROOT = join(__dirname, '..', '..');

interface Compose {
  services: Record<string, { image: string; ports?: string[]; volumes?: string[]; environment?: Record<string, string>; profiles?: string[] }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('docker-compose.yml (checked offline: there is no Docker engine here)', () => {
  it('has LocalStack, and Step Functions Local with DynamoDB Local behind a profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['dynamodb-local', 'localstack', 'stepfunctions-local']);
    expect(compose.services['stepfunctions-local'].profiles).toEqual(['sfn-local']);
    expect(compose.services['dynamodb-local'].profiles).toEqual(['sfn-local']);
  });

  it('pins every image, LocalStack to a version that needs no auth token', () => {
    for (const [name, service] of Object.entries(compose.services)) expect([name, service.image]).toEqual([name, expect.stringMatching(/:\d+\.\d+\.\d+$/)]);
    expect(compose.services.localstack.image).toBe('localstack/localstack:4.14.0');
  });

  it('binds every port to 127.0.0.1', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);

    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('mounts only files that exist', () => {
    const mounts = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0])
      .filter((source) => source.startsWith('.'));

    expect(mounts).toEqual(['./sfn-local/MockConfigFile.json']);
    for (const source of mounts) expect(existsSync(join(ROOT, source))).toBe(true);
  });

  it('points Step Functions Local at the mounted mock configuration', () => {
    const env = compose.services['stepfunctions-local'].environment!;

    expect(env.SFN_MOCK_CONFIG).toBe('/home/StepFunctionsLocal/MockConfigFile.json');
    expect(compose.services['stepfunctions-local'].volumes).toContain(`./sfn-local/MockConfigFile.json:${env.SFN_MOCK_CONFIG}:ro`);
    expect(env.LAMBDA_ENDPOINT).toBeDefined();
    expect(env.DYNAMODB_ENDPOINT).toBe('http://dynamodb-local:8000');
  });

  it('has the scripts the README tells users to run', () => {
    expect(packageJson.scripts['localstack:deploy']).toMatch(/^cdklocal bootstrap && cdklocal deploy .* && .*npm run seed$/);
    expect(packageJson.scripts['sfn-local:create']).toBe('tsx bin/sfn-local-create.ts');
  });
});

/**
 * LocalStack's name for each CloudFormation service prefix (`AWS::<prefix>::…`) the stack may use. A resource type
 * whose prefix is missing here fails the test: add its LocalStack service to docker-compose.yml and map it here.
 */
const LOCALSTACK_SERVICE: Readonly<Record<string, string>> = {
  ApiGateway: 'apigateway',
  CDK: 'cloudformation',
  CloudFormation: 'cloudformation',
  CloudWatch: 'cloudwatch',
  DynamoDB: 'dynamodb',
  EC2: 'ec2',
  ECR: 'ecr',
  EventSchemas: 'schemas',
  Events: 'events',
  IAM: 'iam',
  KMS: 'kms',
  Lambda: 'lambda',
  Logs: 'logs',
  Pipes: 'pipes',
  S3: 's3',
  SNS: 'sns',
  SQS: 'sqs',
  SSM: 'ssm',
  StepFunctions: 'stepfunctions',
};

/** What `cdklocal bootstrap` and `cdklocal deploy` call besides the stack's own services. */
const DEPLOY_SERVICES = ['cloudformation', 'ecr', 'iam', 's3', 'ssm', 'sts'];

describe("docker-compose.yml's LocalStack services", () => {
  const services = new Set(compose.services.localstack.environment!.SERVICES.split(','));

  it('include the service of every resource type in the synthesized template', async () => {
    const { template } = await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' });
    const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
    const serviceOf = (type: string) => (type.startsWith('AWS::') ? LOCALSTACK_SERVICE[type.split('::')[1]] : undefined);

    const unmapped = types.filter((type) => serviceOf(type) === undefined);
    const missing = types.filter((type) => serviceOf(type) !== undefined && !services.has(serviceOf(type)!));

    expect(types.length).toBeGreaterThan(0);
    expect({ unmapped, missing }).toEqual({ unmapped: [], missing: [] });
  });

  it("include what CDK's bootstrap and deploy call, and DynamoDB Streams for a pipe reading a table's stream", async () => {
    const { template } = await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' });
    const readsStream = Object.values(template.Resources).some(
      (r) => r.Type === 'AWS::Pipes::Pipe' && JSON.stringify(r.Properties?.Source ?? null).includes('StreamArn'),
    );
    const needed = [...DEPLOY_SERVICES, ...(readsStream ? ['dynamodbstreams'] : [])];

    expect(needed.filter((service) => !services.has(service))).toEqual([]);
  });
});

describe('sfn-local/MockConfigFile.json', () => {
  it('is what `npm run mock-config` generates from the current template, and names only states that exist', async () => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' }));
    const committed = validateMockConfig(JSON.parse(readFileSync(join(ROOT, 'sfn-local', 'MockConfigFile.json'), 'utf8')));
    // State names of the whole definition, those inside the Parallel stage's branches included.
    const states = new Set(Object.keys(allStates(stack.stateMachines[0].definition as unknown as AslDefinition)));

    expect(committed).toEqual(generateMockConfig(stack));
    for (const testCase of Object.values(committed.StateMachines[stack.stateMachines[0].name].TestCases)) {
      for (const state of Object.keys(testCase)) expect(states).toContain(state);
    }
  });
});
