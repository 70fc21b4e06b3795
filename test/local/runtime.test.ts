import { Script } from 'node:vm';
import type { Isolation } from '../../local/lambda-pool';
import { LocalRuntime } from '../../local/runtime';
import { assertJava, dynamoDbLocalCommand, startDynamoDbLocal } from '../../local/dynamodb-local';
import { isLoopback, listeningSockets } from '../helpers/listening-sockets';
import { fixtureDefinition, jsonataFixtureDefinition, writeFixtureAssembly } from '../helpers/fixture-assembly';

/** The process itself: the test runner gives each test file a copy of it, whose environment the bundles do not see. */
const mainProcess = new Script('process').runInThisContext() as NodeJS.Process;

const start = (cdkOut: string, isolation?: Isolation) => LocalRuntime.start({ cdkOut, synth: 'never', dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, isolation });

describe.each(['inline', 'worker'] as const)('LocalRuntime, functions %s', (isolation) => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    // Set where the functions could see it: in this sandbox's process and in the process the bundles run in.
    process.env.PARENT_ONLY = 'leaked';
    mainProcess.env.PARENT_ONLY = 'leaked';
    runtime = await start(writeFixtureAssembly(), isolation);
  });
  afterAll(async () => {
    delete process.env.PARENT_ONLY;
    delete mainProcess.env.PARENT_ONLY;
    await runtime?.close();
  });

  it('resolves the ARNs in the definition and returns what lambda:invoke returns', async () => {
    const result = await runtime.startExecution({ name: 'echo-1', input: { mode: 'echo', n: 1 } }).result;

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      ExecutedVersion: '$LATEST',
      StatusCode: 200,
      Payload: { echoed: { mode: 'echo', n: 1 }, own: 'mine', parent: null },
    });
    expect(runtime.stack.outputs.FlowArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:Flow');
  });

  it('keeps a history shaped like GetExecutionHistory', async () => {
    const result = await runtime.startExecution({ name: 'echo-2', input: { mode: 'echo' } }).result;

    expect(result.history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(result.history.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.history[4]).toMatchObject({
      previousEventId: 4,
      taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1' },
    });
    expect(JSON.parse((result.history[4].taskScheduledEventDetails as { parameters: string }).parameters)).toMatchObject({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:EchoFunction',
    });
    expect(result.history[0]).toMatchObject({ executionStartedEventDetails: { input: '{"mode":"echo"}' } });
    expect(result.path).toEqual(['Choose', 'Echo']);
    expect(result.transitions).toBe(2);
  });

  it('fails with the Lambda error type as the error name and the JSON cause AWS gives', async () => {
    const result = await runtime.startExecution({ name: 'fail-1', input: { mode: 'fail', error: { name: 'PaymentDeclined', message: 'no money' } } }).result;

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PaymentDeclined');
    expect(JSON.parse(result.cause!)).toMatchObject({ errorType: 'PaymentDeclined', errorMessage: 'no money', trace: expect.any(Array) });
    expect(result.history.find((e) => e.type === 'TaskFailed')).toMatchObject({ taskFailedEventDetails: { error: 'PaymentDeclined' } });
  });

  it('fails a function that runs past its own timeout the way Step Functions reports it: Lambda.Unknown', async () => {
    const result = await runtime.startExecution({ name: 'slow-1', input: { mode: 'function-timeout' } }).result;

    expect(result.error).toBe('Lambda.Unknown');
    expect(result.cause).toMatch(/^The cause could not be determined because Lambda did not return an error type\. Returned payload: .*Task timed out after 1\.00 seconds/);
  });

  it('fails a Task that runs past its TimeoutSeconds with States.Timeout', async () => {
    const result = await runtime.startExecution({ name: 'slow-2', input: { mode: 'task-timeout' } }).result;

    expect(result.error).toBe('States.Timeout');
    expect(result.history.map((e) => e.type)).toContain('TaskTimedOut');
  });

  it('follows the execution name rules of Step Functions', async () => {
    const running = runtime.startExecution({ name: 'wait-1', input: { mode: 'wait' } });

    expect(runtime.startExecution({ name: 'wait-1', input: { mode: 'wait' } })).toBe(running);
    expect(() => runtime.startExecution({ name: 'wait-1', input: { mode: 'wait', other: true } })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    expect(() => runtime.startExecution({ name: 'has space', input: {} })).toThrow(expect.objectContaining({ name: 'InvalidName' }));
    expect(() => runtime.startExecution({ name: 'big', input: { blob: 'x'.repeat(256 * 1024) } })).toThrow(expect.objectContaining({ name: 'InvalidExecutionInput' }));
    running.stop();
    expect((await running.result).status).toBe('ABORTED');
    expect(() => runtime.startExecution({ name: 'wait-1', input: { mode: 'wait' } })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
  });
});

describe.each(['inline', 'worker'] as const)('LocalRuntime with one %s execution environment per function', (isolation) => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await LocalRuntime.start({
      cdkOut: writeFixtureAssembly(),
      synth: 'never',
      dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
      maxWorkersPerFunction: 1,
      isolation,
    });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('does not count the wait for a free worker against the Task timeout or the function timeout', async () => {
    // Five 400 ms invocations on one worker take 2 s in all; each Task has TimeoutSeconds 1.
    const executions = [1, 2, 3, 4, 5].map((n) => runtime.startExecution({ name: `queued-${n}`, input: { mode: 'brief' } }));
    const results = await Promise.all(executions.map((e) => e.result));

    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const first = Math.min(...results.map((r) => r.startDate.getTime()));
    const last = Math.max(...results.map((r) => r.stopDate.getTime()));
    expect(last - first).toBeGreaterThan(1_000);
  });

  it('still fails a function past its own timeout with Lambda.Unknown, and replaces its environment', async () => {
    const before = (await runtime.invokeFunction('SleepFunction', { ms: 1 })) as { environment: string };

    const result = await runtime.startExecution({ name: 'slow-alone', input: { mode: 'function-timeout' } }).result;
    const after = (await runtime.invokeFunction('SleepFunction', { ms: 1 })) as { environment: string };

    expect(result.error).toBe('Lambda.Unknown');
    expect(after.environment).not.toBe(before.environment);
  });
});

describe('LocalRuntime on a JSONata state machine with Variables', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await LocalRuntime.start({
      cdkOut: writeFixtureAssembly(jsonataFixtureDefinition()),
      synth: 'never',
      dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
      retryDelayMs: 5,
    });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('passes variables between states, invokes with Arguments, and catches the function\u2019s error', async () => {
    const result = await runtime.startExecution({ name: 'jsonata-1', input: { orderId: 'ord-7', n: 21 } }).result;

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ orderId: 'ord-7', echoed: { id: 'ord-7', doubled: 42 }, error: 'Rejected', message: 'no stock for ord-7' });
    expect(result.path).toEqual(['Remember', 'Echo', 'Reject', 'Summarize']);
  });

  it('retries after retryDelayMs instead of the definition\u2019s interval, and counts the retry as a transition', async () => {
    const started = Date.now();
    const result = await runtime.startExecution({ name: 'jsonata-2', input: { orderId: 'ord-8', n: 1 } }).result;

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.retries).toBe(1);
    expect(result.transitions).toBe(5);
    expect(result.history.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails)).toMatchObject([
      { resourceType: 'lambda', resource: 'invoke', error: 'Rejected' },
      { resourceType: 'lambda', resource: 'invoke', error: 'Rejected' },
    ]);
  });

  it('records the evaluated Arguments as the task\u2019s parameters and the assigned variables in the history', async () => {
    const result = await runtime.startExecution({ name: 'jsonata-3', input: { orderId: 'ord-9', n: 2 } }).result;

    const scheduled = result.history.find((e) => e.type === 'TaskScheduled')!;
    expect(JSON.parse((scheduled.taskScheduledEventDetails as { parameters: string }).parameters)).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:EchoFunction',
      Payload: { id: 'ord-9', doubled: 4 },
    });
    const remembered = result.history.find((e) => e.type === 'PassStateExited')!;
    expect(remembered.stateExitedEventDetails).toMatchObject({ name: 'Remember', assignedVariables: { orderId: '"ord-9"' } });
    expect(result.history.map((e) => e.previousEventId)).toEqual(result.history.map((e) => e.id - 1));
  });
});

describe('LocalRuntime refuses what it does not emulate', () => {
  const lambda = 'arn:aws:states:::lambda:invoke';
  it.each([
    ['HeartbeatSeconds', { Beat: { Type: 'Task', Resource: lambda, HeartbeatSeconds: 5, Parameters: { FunctionName: 'x' }, End: true } }, /state Beat uses HeartbeatSeconds/],
    ['an unserved integration', { Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {}, End: true } }, /state Put calls arn:aws:states:::dynamodb:putItem/],
    ['a callback integration', { Wait: { Type: 'Task', Resource: `${lambda}.waitForTaskToken`, Parameters: { FunctionName: 'x' }, End: true } }, /state Wait uses the waitForTaskToken integration pattern/],
    ['a .sync integration', { Run: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: {}, End: true } }, /state Run uses the sync:2 integration pattern/],
    [
      'a Distributed Map reading from S3, inside a Parallel branch',
      {
        Fan: {
          Type: 'Parallel',
          End: true,
          Branches: [
            {
              StartAt: 'Each',
              States: {
                Each: {
                  Type: 'Map',
                  ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
                  ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
                  End: true,
                },
              },
            },
          ],
        },
      },
      /state Fan\[branch 0\]\.Each uses Distributed Map \(ItemReader/,
    ],
  ])('%s, naming the state and the feature', async (_what, states, message) => {
    const cdkOut = writeFixtureAssembly(fixtureDefinition(states));

    await expect(start(cdkOut)).rejects.toMatchObject({ name: 'UnsupportedDefinitionError', message: expect.stringMatching(message) });
  });

  it('runs JSONata and Variables, which it used to refuse', async () => {
    const cdkOut = writeFixtureAssembly(
      fixtureDefinition({
        JsonataState: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input %}', End: true },
        AssignState: { Type: 'Pass', Assign: { x: 1 }, End: true },
      }),
    );

    const runtime = await start(cdkOut);
    await runtime.close();

    expect(runtime.stateMachine().definition.States).toHaveProperty('JsonataState');
  });
});

describe('DynamoDB Local', () => {
  it('says how to install Java when there is none', () => {
    expect(() => assertJava({ PATH: '/nonexistent' })).toThrow(
      expect.objectContaining({ name: 'LocalSetupError', message: expect.stringContaining('apt-get install -y openjdk-17-jdk-headless') }),
    );
  });

  it('starts on a free port of 127.0.0.1 only, with CORS closed, and stops cleanly', async () => {
    const db = await startDynamoDbLocal();

    const answered = await fetch(db.endpoint).then((r) => r.status, () => 'refused');
    const sockets = listeningSockets().filter((s) => s.port === db.port);
    const preflight = await fetch(db.endpoint, { method: 'OPTIONS', headers: { Origin: 'http://attacker.example', 'Access-Control-Request-Method': 'POST' } });
    await db.stop();
    const afterStop = await fetch(db.endpoint).then((r) => r.status, () => 'refused');

    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(answered).not.toBe('refused');
    expect(sockets).toHaveLength(1);
    expect(isLoopback(sockets[0].address)).toBe(true);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(null);
    expect(afterStop).toBe('refused');
  });

  it('runs with its telemetry off', () => {
    expect(dynamoDbLocalCommand(8000, '/launcher').args).toEqual(expect.arrayContaining(['-inMemory', '-disableTelemetry', '-port', '8000']));
  });
});
