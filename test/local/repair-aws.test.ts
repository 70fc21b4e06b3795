import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { RepairConnectionError, repairCompensationFailures } from '../../cli/repair';
import { awsRepairPort } from '../../cli/repair-aws';
import { LocalQueues } from '../../local/local-queues';

/**
 * The AWS port against SDK clients whose `send` is replaced: there is no AWS here. The one place the project
 * stubs a client; the queue behind the fake SQS is a real {@link LocalQueues}, so visibility and deletes behave.
 */

const ACCOUNT = '123456789012';
const QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/ServerlessSaga-CompensationFailures`;
const MACHINE = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:OrderSaga`;
const SAGA = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:OrderSaga:ord-1`;
const REFUND_FUNCTION = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:ServerlessSaga-RefundPayment`;
const DEFINITION = {
  StartAt: 'RefundPayment',
  States: {
    RefundPayment: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: REFUND_FUNCTION, 'Payload.$': '$' }, End: true },
  },
};

type Send = (command: unknown) => Promise<unknown>;

function fakeAws(lambdaAnswer: (payload: unknown) => { FunctionError?: string; body: unknown }) {
  const queues = new LocalQueues([{ logicalId: 'Q', name: 'ServerlessSaga-CompensationFailures', url: QUEUE_URL, arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:Q` }]);
  const calls: { client: string; command: string; input: unknown }[] = [];
  const started = new Set<string>();
  const record = (client: string, command: { constructor: { name: string }; input: unknown }) => calls.push({ client, command: command.constructor.name, input: command.input });

  const sqsSend: Send = (command) => {
    if (command instanceof ReceiveMessageCommand) {
      record('sqs', command);
      const received = queues.receive(QUEUE_URL, { max: command.input.MaxNumberOfMessages, visibilityTimeoutMs: (command.input.VisibilityTimeout ?? 30) * 1000 });
      const Messages: Message[] = received.map((m) => ({
        MessageId: m.messageId,
        ReceiptHandle: m.receiptHandle,
        Body: m.body,
        Attributes: { SentTimestamp: String(m.sentAt.getTime()), ApproximateReceiveCount: String(m.receiveCount) },
        MessageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
      }));
      return Promise.resolve({ Messages });
    }
    if (command instanceof DeleteMessageCommand) {
      record('sqs', command);
      queues.delete(QUEUE_URL, command.input.ReceiptHandle!);
      return Promise.resolve({});
    }
    if (command instanceof ChangeMessageVisibilityCommand) {
      record('sqs', command);
      queues.changeVisibility(QUEUE_URL, command.input.ReceiptHandle!, command.input.VisibilityTimeout! * 1000);
      return Promise.resolve({});
    }
    return Promise.reject(new Error('unexpected SQS command'));
  };
  const sfnSend: Send = (command) => {
    if (command instanceof DescribeStateMachineCommand) {
      record('sfn', command);
      return Promise.resolve({ stateMachineArn: command.input.stateMachineArn, definition: JSON.stringify(DEFINITION) });
    }
    if (command instanceof StartExecutionCommand) {
      record('sfn', command);
      const executionArn = `${command.input.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${command.input.name!}`;
      if (started.has(executionArn)) return Promise.reject(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, $metadata: {} }));
      started.add(executionArn);
      return Promise.resolve({ executionArn, startDate: new Date() });
    }
    return Promise.reject(new Error('unexpected Step Functions command'));
  };
  const lambdaSend: Send = (command) => {
    if (!(command instanceof InvokeCommand)) return Promise.reject(new Error('unexpected Lambda command'));
    record('lambda', command);
    const answer = lambdaAnswer(JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)));
    return Promise.resolve({ StatusCode: 200, FunctionError: answer.FunctionError, Payload: new TextEncoder().encode(JSON.stringify(answer.body)) });
  };

  const clients = {
    sqs: Object.assign(new SQSClient({ region: 'eu-west-1' }), { send: sqsSend }),
    sfn: Object.assign(new SFNClient({ region: 'eu-west-1' }), { send: sfnSend }),
    lambda: Object.assign(new LambdaClient({ region: 'eu-west-1' }), { send: lambdaSend }),
  };
  const port = awsRepairPort({ queueUrl: QUEUE_URL, clients });
  const failure = (step = 'RefundPayment') => queues.send(QUEUE_URL, { sagaId: SAGA, executionArn: SAGA, step, error: 'Error', cause: 'boom', input: { orderId: 'ord-1', customerId: 'cus-1' } });
  return { queues, calls, port, failure, commands: () => calls.map((c) => `${c.client}:${c.command}`) };
}

const refunded = () => ({ body: { chargeId: 'chg-ord-1', refund: { outcome: 'undone' } } });

describe('the AWS repair port (SDK clients stubbed)', () => {
  it('receives with long polling and every attribute, invokes the function the state machine names for the step, and deletes the message', async () => {
    const aws = fakeAws(refunded);
    aws.failure();

    const report = await repairCompensationFailures(aws.port);

    expect(report.repaired).toEqual([expect.objectContaining({ sagaId: SAGA, step: 'RefundPayment', orderId: 'ord-1', outcome: 'undone' })]);
    expect(aws.calls[0].input).toMatchObject({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, VisibilityTimeout: 900, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] });
    expect(aws.calls.find((c) => c.command === 'DescribeStateMachineCommand')?.input).toEqual({ stateMachineArn: MACHINE });
    const invoked = aws.calls.find((c) => c.command === 'InvokeCommand')?.input as { FunctionName: string; InvocationType: string; Payload: Uint8Array };
    expect(invoked).toMatchObject({ FunctionName: REFUND_FUNCTION, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(invoked.Payload))).toEqual({ sagaId: SAGA, state: { orderId: 'ord-1', customerId: 'cus-1' } });
    expect(aws.commands()).toContain('sqs:DeleteMessageCommand');
    expect(aws.queues.pending(QUEUE_URL)).toEqual([]);
  });

  it("keeps a message whose function answers a FunctionError, naming the function's error type", async () => {
    const aws = fakeAws(() => ({ FunctionError: 'Unhandled', body: { errorType: 'TransientError', errorMessage: 'throttled' } }));
    aws.failure();

    const report = await repairCompensationFailures(aws.port);

    expect(report.stillFailing).toEqual([expect.objectContaining({ step: 'RefundPayment', error: 'TransientError', cause: '{"errorType":"TransientError","errorMessage":"throttled"}' })]);
    expect(aws.commands()).not.toContain('sqs:DeleteMessageCommand');
    expect(aws.calls.find((c) => c.command === 'ChangeMessageVisibilityCommand')?.input).toMatchObject({ VisibilityTimeout: 0 });
    expect(aws.queues.pending(QUEUE_URL)).toEqual([expect.objectContaining({ inFlight: false })]);
  });

  it('lists by receiving every message and making it visible again at once, invoking nothing', async () => {
    const aws = fakeAws(refunded);
    aws.failure();
    aws.failure();

    const report = await repairCompensationFailures(aws.port, { dryRun: true });

    expect(report.listed).toHaveLength(2);
    expect(report.listed[0]).toMatchObject({ step: 'RefundPayment', receiveCount: 1, sentAt: expect.stringMatching(/^\d{4}-/) });
    expect(aws.commands().filter((c) => !c.startsWith('sqs:'))).toEqual([]);
    expect(aws.queues.pending(QUEUE_URL).map((m) => m.inFlight)).toEqual([false, false]);
  });

  it("starts a dead-lettered event's target once, counting ExecutionAlreadyExists as started already", async () => {
    const aws = fakeAws(refunded);
    const event = { version: '0', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { status: 'TIMED_OUT' } };
    const { MessageId } = aws.queues.send(QUEUE_URL, event, { TARGET_ARN: MACHINE, RULE_ARN: 'arn:aws:events:eu-west-1:123456789012:rule/Recovery' });

    const first = await aws.port.startExecution(MACHINE, `repair-${MessageId}`, event);
    const report = await repairCompensationFailures(aws.port);

    expect(first).toMatchObject({ ok: true, alreadyStarted: false });
    expect(report.repaired).toEqual([expect.objectContaining({ kind: 'event', outcome: 'already-started', targetArn: MACHINE })]);
    expect(aws.calls.filter((c) => c.command === 'StartExecutionCommand').map((c) => c.input)).toEqual([
      { stateMachineArn: MACHINE, name: `repair-${MessageId}`, input: JSON.stringify(event) },
      { stateMachineArn: MACHINE, name: `repair-${MessageId}`, input: JSON.stringify(event) },
    ]);
    expect(aws.queues.pending(QUEUE_URL)).toEqual([]);
  });

  it('fails with a connection error that names the queue when SQS cannot be read', async () => {
    const sqs = Object.assign(new SQSClient({ region: 'eu-west-1' }), {
      send: () => Promise.reject(Object.assign(new Error('The security token included in the request is invalid.'), { name: 'InvalidClientTokenId' })),
    });
    const port = awsRepairPort({ queueUrl: QUEUE_URL, clients: { sqs, sfn: new SFNClient({ region: 'eu-west-1' }), lambda: new LambdaClient({ region: 'eu-west-1' }) } });

    const repair = repairCompensationFailures(port);

    await expect(repair).rejects.toThrow(RepairConnectionError);
    await expect(repair).rejects.toThrow(`cannot read ${QUEUE_URL}: InvalidClientTokenId: The security token included in the request is invalid.`);
  });
});
