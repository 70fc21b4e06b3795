import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { request } from 'node:http';
import { LocalRuntime } from '../../local/runtime';
import { startStepFunctionsServer, type StepFunctionsServer } from '../../local/sfn-api';
import { writeFixtureAssembly } from '../helpers/fixture-assembly';

let runtime: LocalRuntime;
let server: StepFunctionsServer;
let sfn: SFNClient;
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:Flow';

beforeAll(async () => {
  runtime = await LocalRuntime.start({ cdkOut: writeFixtureAssembly(), synth: 'never', dynamoDbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
  server = await startStepFunctionsServer(runtime, { port: 0 });
  sfn = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  sfn?.destroy();
  await server?.close();
  await runtime?.close();
});

async function waitFor(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the Step Functions API on localhost, through @aws-sdk/client-sfn', () => {
  it('lists and describes the state machines', async () => {
    const list = await sfn.send(new ListStateMachinesCommand({}));
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ARN }));

    expect(list.stateMachines).toEqual([expect.objectContaining({ stateMachineArn: ARN, name: 'Flow', type: 'STANDARD', creationDate: expect.any(Date) })]);
    expect(described).toMatchObject({ name: 'Flow', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition!)).toMatchObject({ StartAt: 'Choose' });
  });

  it('starts an execution, describes it and reads its history', async () => {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'api-echo', input: JSON.stringify({ mode: 'echo' }) }));
    const done = await waitFor(started.executionArn!);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn! }));
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn!, reverseOrder: true, maxResults: 2 }));

    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Flow:api-echo');
    expect(started.startDate).toBeInstanceOf(Date);
    expect(done).toMatchObject({ status: 'SUCCEEDED', name: 'api-echo', stopDate: expect.any(Date) });
    expect(JSON.parse(done.output!)).toMatchObject({ StatusCode: 200, Payload: { echoed: { mode: 'echo' } } });
    expect(history.events?.map((e) => e.type)).toEqual([
      'ExecutionStarted', 'ChoiceStateEntered', 'ChoiceStateExited', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded',
    ]);
    expect(history.events?.[4].taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: 'us-east-1' });
    expect(history.events?.[0].timestamp).toBeInstanceOf(Date);
    expect(reversed.events?.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'TaskStateExited']);
    expect(reversed.nextToken).toBeDefined();
  });

  it('reports a failed execution with its error and cause', async () => {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, input: JSON.stringify({ mode: 'fail', error: { name: 'Nope', message: 'no' } }) }));

    const done = await waitFor(started.executionArn!);

    expect(done).toMatchObject({ status: 'FAILED', error: 'Nope' });
    expect(JSON.parse(done.cause!)).toMatchObject({ errorType: 'Nope', errorMessage: 'no' });
  });

  it('follows the name rules: same name and input while running returns it; else ExecutionAlreadyExists', async () => {
    const request = { stateMachineArn: ARN, name: 'api-wait', input: JSON.stringify({ mode: 'wait' }) };
    const first = await sfn.send(new StartExecutionCommand(request));
    const again = await sfn.send(new StartExecutionCommand(request));

    await expect(sfn.send(new StartExecutionCommand({ ...request, input: '{"mode":"other"}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });
    expect(again.executionArn).toBe(first.executionArn);

    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn!, error: 'Operator', cause: 'stopped by a test' }));
    const stopped = await waitFor(first.executionArn!);
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by a test' });
    await expect(sfn.send(new StartExecutionCommand(request))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('lists executions newest first, filtered by status and paginated', async () => {
    for (const n of [1, 2, 3]) await waitFor((await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: `api-list-${n}`, input: '{"mode":"echo"}' }))).executionArn!);

    const succeeded = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'SUCCEEDED' }));
    const firstPage = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN, maxResults: 2 }));
    const secondPage = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN, maxResults: 2, nextToken: firstPage.nextToken }));

    expect(succeeded.executions?.slice(0, 3).map((e) => e.name)).toEqual(['api-list-3', 'api-list-2', 'api-list-1']);
    expect(succeeded.executions?.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    expect(firstPage.executions).toHaveLength(2);
    expect(secondPage.executions?.[0].name).not.toBe(firstPage.executions?.[0].name);
  });

  it.each([
    ['an unknown state machine', 'StateMachineDoesNotExist', () => new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Nope' })],
    ['a malformed ARN', 'InvalidArn', () => new DescribeExecutionCommand({ executionArn: 'not-an-arn' })],
    ['an unknown execution', 'ExecutionDoesNotExist', () => new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Flow:nope' })],
    ['input that is not JSON', 'InvalidExecutionInput', () => new StartExecutionCommand({ stateMachineArn: ARN, input: '{nope' })],
    ['an invalid name', 'InvalidName', () => new StartExecutionCommand({ stateMachineArn: ARN, name: 'has space' })],
    ['a bad page token', 'InvalidToken', () => new ListExecutionsCommand({ stateMachineArn: ARN, nextToken: 'garbage!' })],
    ['a synchronous start of a standard workflow', 'StateMachineTypeNotSupported', () => new StartSyncExecutionCommand({ stateMachineArn: ARN })],
  ])('answers %s with AWS error %s', async (_what, code, command) => {
    // StartSyncExecution's endpoint carries a "sync-" host prefix, which a local endpoint cannot have.
    const client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, disableHostPrefix: true });
    await expect(client.send(command() as never)).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });

  it('answers an unknown operation and a malformed body as AWS does', async () => {
    const unknown = await fetch(server.endpoint, { method: 'POST', headers: { 'X-Amz-Target': 'AWSStepFunctions.Explode', 'Content-Type': 'application/x-amz-json-1.0' }, body: '{}' });
    const malformed = await fetch(server.endpoint, { method: 'POST', headers: { 'X-Amz-Target': 'AWSStepFunctions.ListStateMachines', 'Content-Type': 'application/x-amz-json-1.0' }, body: '{nope' });

    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'com.amazonaws.states#UnknownOperationException' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'com.amazonaws.states#SerializationException' });
  });
});

describe('the Step Functions API on executions it did not start', () => {
  it('describes and lists an execution that the runtime started (an EventBridge rule, a repair) once it ended', async () => {
    const started = runtime.startExecution({ stateMachine: ARN, name: 'api-started-elsewhere', input: { mode: 'echo' } });
    await started.result;

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'SUCCEEDED' }));

    expect(described).toMatchObject({ status: 'SUCCEEDED', stopDate: expect.any(Date) });
    expect(listed.executions!.map((e) => e.name)).toContain('api-started-elsewhere');
  });
});

describe('the Step Functions API refuses oversized requests early', () => {
  /** Sends a StartExecution whose body is `total` bytes, a 64 KiB chunk at a time, stopping once answered. */
  function post(total: number, declareLength: boolean): Promise<{ status: number; errorType: string | undefined; body: string; sent: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = request(`${server.endpoint}/`, {
        method: 'POST',
        headers: { 'X-Amz-Target': 'AWSStepFunctions.StartExecution', 'Content-Type': 'application/x-amz-json-1.0', ...(declareLength ? { 'Content-Length': total } : {}) },
      });
      req.on('response', (res) => {
        answered = true;
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, errorType: res.headers['x-amzn-errortype'] as string | undefined, body, sent }));
      });
      req.on('error', (err) => (answered ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
  }

  it('answers 413 RequestEntityTooLargeException from the declared Content-Length, before reading the body', async () => {
    const answer = await post(200 * 1024 * 1024, true);

    expect(answer.status).toBe(413);
    expect(answer.errorType).toBe('RequestEntityTooLargeException');
    expect(JSON.parse(answer.body)).toEqual({ __type: 'com.amazonaws.states#RequestEntityTooLargeException', message: expect.stringContaining('the limit is 2097152 bytes') });
    expect(answer.sent).toBeLessThan(50 * 1024 * 1024);
  });

  it('answers 413 as soon as a body without Content-Length passes the limit', async () => {
    const answer = await post(200 * 1024 * 1024, false);

    expect(answer.status).toBe(413);
    expect(answer.errorType).toBe('RequestEntityTooLargeException');
    expect(answer.sent).toBeLessThan(50 * 1024 * 1024);
  });

  it('still reads a request with a 256 KiB input, the most Step Functions accepts', async () => {
    const input = JSON.stringify({ mode: 'echo', padding: Array<string>(87_300).fill('') });
    expect(Buffer.byteLength(input)).toBeGreaterThan(255 * 1024);
    expect(Buffer.byteLength(input)).toBeLessThanOrEqual(256 * 1024);

    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'api-largest-input', input }));

    expect((await waitFor(started.executionArn!)).status).toBe('SUCCEEDED');
  });
});
