import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Handlers of the fixture functions: plain ESM, as a bundle would be. */
const HANDLERS = `
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
const environment = randomUUID();
export const echo = async (event) => ({ echoed: event, own: process.env.OWN ?? null, parent: process.env.PARENT_ONLY ?? null });
export const log = async (event) => { console.log(event.line); console.error(event.line); return null; };
export const fail = async (event) => { const e = new Error(event.message ?? 'boom'); e.name = event.name ?? 'Boom'; throw e; };
export const sleep = async (event, context) => {
  await new Promise((resolve) => setTimeout(resolve, event.ms));
  return { slept: event.ms, remaining: context.getRemainingTimeInMillis(), environment };
};
export const stray = async (event) => {
  if (event.kind === 'rejection') Promise.reject(new Error('stray rejection'));
  else setTimeout(() => { throw new Error('stray exception'); }, 0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return 'unreachable';
};
export const late = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, event.ms));
  await new Promise((resolve) => get(event.url, resolve).on('error', resolve));
  return null;
};
`;

const fn = (handler: string, timeout: number, env: Record<string, string> = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { Handler: `index.${handler}`, Runtime: 'nodejs22.x', Timeout: timeout, MemorySize: 128, Environment: { Variables: env } },
  Metadata: { 'aws:asset:path': 'asset.fixture' },
});

const invoke = (fnRef: unknown, payload: string, extra: Record<string, unknown> = {}) => [
  `{"Type":"Task","Resource":"arn:`,
  { Ref: 'AWS::Partition' },
  `:states:::lambda:invoke","Parameters":{"FunctionName":"`,
  fnRef,
  `","Payload${payload}},"End":true${Object.entries(extra)
    .map(([k, v]) => `,"${k}":${JSON.stringify(v)}`)
    .join('')}}`,
];

/** A definition, as CDK writes it: a `Fn::Join` of JSON text and tokens. */
export function fixtureDefinition(extraStates: Record<string, unknown> = {}): unknown {
  const extras = Object.entries(extraStates).map(([name, state]) => `,"${name}":${JSON.stringify(state)}`);
  return {
    'Fn::Join': [
      '',
      [
        '{"StartAt":"Choose","States":{"Choose":{"Type":"Choice","Choices":[',
        '{"Variable":"$.mode","StringEquals":"echo","Next":"Echo"},',
        '{"Variable":"$.mode","StringEquals":"fail","Next":"Fail"},',
        '{"Variable":"$.mode","StringEquals":"function-timeout","Next":"SleepPastFunctionTimeout"},',
        '{"Variable":"$.mode","StringEquals":"task-timeout","Next":"SleepPastTaskTimeout"},',
        '{"Variable":"$.mode","StringEquals":"brief","Next":"SleepWithinTaskTimeout"}',
        '],"Default":"Wait"},',
        '"Wait":{"Type":"Wait","Seconds":30,"End":true},',
        '"Echo":',
        ...invoke({ 'Fn::GetAtt': ['EchoFunction', 'Arn'] }, '.$":"$"'),
        ',"Fail":',
        ...invoke({ Ref: 'FailFunction' }, '.$":"$.error"'),
        ',"SleepPastFunctionTimeout":',
        ...invoke({ 'Fn::Sub': '${SleepFunction.Arn}' }, '":{"ms":3000}'),
        ',"SleepPastTaskTimeout":',
        ...invoke({ 'Fn::GetAtt': ['SleepLongFunction', 'Arn'] }, '":{"ms":3000}', { TimeoutSeconds: 1 }),
        ',"SleepWithinTaskTimeout":',
        ...invoke({ 'Fn::GetAtt': ['SleepLongFunction', 'Arn'] }, '":{"ms":400}', { TimeoutSeconds: 1 }),
        ...extras,
        '}}',
      ],
    ],
  };
}

/**
 * A JSONata state machine with Variables, as CDK writes it: assigns the order id, invokes Echo with `Arguments`,
 * keeps what it echoed in a variable, invokes Fail (retried once, then caught), and builds its output from the
 * variables alone.
 */
export function jsonataFixtureDefinition(): unknown {
  const arn = (logicalId: string) => ['"', { 'Fn::GetAtt': [logicalId, 'Arn'] }, '"'];
  return {
    'Fn::Join': [
      '',
      [
        '{"QueryLanguage":"JSONata","StartAt":"Remember","States":{',
        '"Remember":{"Type":"Pass","Assign":{"orderId":"{% $states.input.orderId %}"},"Next":"Echo"},',
        '"Echo":{"Type":"Task","Resource":"arn:',
        { Ref: 'AWS::Partition' },
        ':states:::lambda:invoke","Arguments":{"FunctionName":',
        ...arn('EchoFunction'),
        ',"Payload":{"id":"{% $orderId %}","doubled":"{% $states.input.n * 2 %}"}},',
        '"Assign":{"echoed":"{% $states.result.Payload.echoed %}"},"Output":"{% $states.input %}","Next":"Reject"},',
        '"Reject":{"Type":"Task","Resource":"arn:',
        { Ref: 'AWS::Partition' },
        ':states:::lambda:invoke","Arguments":{"FunctionName":',
        ...arn('FailFunction'),
        ',"Payload":{"name":"Rejected","message":"{% \'no stock for \' & $orderId %}"}},',
        '"Retry":[{"ErrorEquals":["Rejected"],"MaxAttempts":1,"IntervalSeconds":30}],',
        '"Catch":[{"ErrorEquals":["Rejected"],"Assign":{"failure":"{% $states.errorOutput %}"},"Next":"Summarize"}],"End":true},',
        '"Summarize":{"Type":"Pass","Output":{"orderId":"{% $orderId %}","echoed":"{% $echoed %}",',
        '"error":"{% $failure.Error %}","message":"{% $parse($failure.Cause).errorMessage %}"},"End":true}',
        '}}',
      ],
    ],
  };
}

/** Writes a small cloud assembly (manifest, template, one asset) to a temporary folder and returns the folder. */
export function writeFixtureAssembly(definition: unknown = fixtureDefinition()): string {
  const dir = mkdtempSync(join(tmpdir(), 'saga-fixture-'));
  mkdirSync(join(dir, 'asset.fixture'));
  writeFileSync(join(dir, 'asset.fixture', 'index.mjs'), HANDLERS);
  const template = {
    Resources: {
      EchoFunction: fn('echo', 3, { OWN: 'mine' }),
      FailFunction: fn('fail', 3),
      SleepFunction: fn('sleep', 1),
      SleepLongFunction: fn('sleep', 5),
      Flow: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'Flow', DefinitionString: definition } },
    },
    Outputs: { FlowArn: { Value: { Ref: 'Flow' } } },
  };
  writeFileSync(join(dir, 'Fixture.template.json'), JSON.stringify(template));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ version: '1', artifacts: { Fixture: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Fixture.template.json' } } } }),
  );
  return dir;
}
