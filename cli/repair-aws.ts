import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { RepairConnectionError, type InvokeOutcome, type QueuedMessage, type ReceivedQueueMessage, type RepairPort } from './repair';

/** Options of {@link awsRepairPort}. */
export interface AwsRepairPortOptions {
  /** The compensation-failures queue (the stack's `CompensationFailuresQueueUrl` output). */
  readonly queueUrl: string;
  /** @default - the queue URL's region (`https://sqs.<region>.amazonaws.com/…`), else the SDK's (AWS_REGION, profile) */
  readonly region?: string;
  /** Clients to use instead of new ones (tests). @default - new clients with the default credential chain */
  readonly clients?: { readonly sqs?: SQSClient; readonly lambda?: LambdaClient; readonly sfn?: SFNClient };
}

/** A {@link RepairPort} that also closes its SDK clients. */
export interface AwsRepairPort extends RepairPort {
  destroy(): void;
}

/** How long a dry run hides each message while it reads the queue, before making it visible again. */
const LIST_VISIBILITY_SECONDS = 30;

const regionOf = (queueUrl: string) => /^https:\/\/sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(queueUrl)?.[1];

const errorOf = (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.name : 'Error', cause: err instanceof Error ? err.message : String(err) });

function fromSqs(message: Message): QueuedMessage & { receiptHandle?: string } {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  const sent = Number(message.Attributes?.SentTimestamp);
  const received = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    messageId: message.MessageId ?? '',
    body: message.Body ?? '',
    attributes,
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
    ...(Number.isFinite(received) ? { receiveCount: received } : {}),
    ...(message.ReceiptHandle ? { receiptHandle: message.ReceiptHandle } : {}),
  };
}

/**
 * A {@link RepairPort} on AWS with the SDK v3 and the caller's credentials: SQS for the queue, Step Functions'
 * `DescribeStateMachine` for the step's function (the state machine ARN is the execution ARN's, with
 * `:execution:` → `:stateMachine:` and its name dropped), Lambda `Invoke` for the compensation, and
 * `StartExecution` for a dead-lettered event.
 *
 * SQS has no way to read a message without receiving it: `list` receives every message with a 30-second
 * visibility timeout and makes each visible again at once (each read adds one to its receive count).
 *
 * @example
 * const port = awsRepairPort({ queueUrl: outputs.CompensationFailuresQueueUrl });
 * try {
 *   console.log(formatRepairReport(await repairCompensationFailures(port)));
 * } finally {
 *   port.destroy();
 * }
 */
export function awsRepairPort(options: AwsRepairPortOptions): AwsRepairPort {
  const region = options.region ?? regionOf(options.queueUrl);
  const config = region ? { region } : {};
  const sqs = options.clients?.sqs ?? new SQSClient(config);
  const lambda = options.clients?.lambda ?? new LambdaClient(config);
  const sfn = options.clients?.sfn ?? new SFNClient(config);
  const QueueUrl = options.queueUrl;
  const definitions = new Map<string, Promise<Record<string, unknown>>>();

  const receive = async (visibilityTimeoutSeconds: number): Promise<(QueuedMessage & { receiptHandle?: string })[]> => {
    try {
      const answer = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: visibilityTimeoutSeconds,
          // Long polling asks every SQS server, so an empty answer means an empty queue (short polling samples).
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
      return (answer.Messages ?? []).map(fromSqs);
    } catch (err: unknown) {
      throw new RepairConnectionError(`cannot read ${QueueUrl}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    }
  };
  const received = (messages: (QueuedMessage & { receiptHandle?: string })[]): ReceivedQueueMessage[] =>
    messages.filter((m): m is ReceivedQueueMessage => m.receiptHandle !== undefined);
  const release = async (message: ReceivedQueueMessage) => {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message.receiptHandle, VisibilityTimeout: 0 }));
  };

  return {
    queue: QueueUrl,
    async list() {
      const seen = new Map<string, ReceivedQueueMessage>();
      for (;;) {
        const batch = received(await receive(LIST_VISIBILITY_SECONDS));
        const fresh = batch.filter((m) => !seen.has(m.messageId));
        // A message seen before came back (the listing outlasted its visibility): keep its latest receipt handle.
        for (const m of batch) seen.set(m.messageId, m);
        if (fresh.length === 0) break;
      }
      await Promise.all([...seen.values()].map(release));
      return [...seen.values()].map(({ receiptHandle: _handle, ...message }) => message);
    },
    receive: async (visibilityTimeoutMs) => received(await receive(Math.min(43_200, Math.ceil(visibilityTimeoutMs / 1000)))),
    async delete(message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.receiptHandle }));
    },
    release,
    definition(stateMachineArn) {
      let found = definitions.get(stateMachineArn);
      if (!found) {
        found = sfn.send(new DescribeStateMachineCommand({ stateMachineArn })).then((d) => JSON.parse(d.definition ?? '{}') as Record<string, unknown>);
        definitions.set(stateMachineArn, found);
      }
      return found;
    },
    async invoke(functionName, payload): Promise<InvokeOutcome> {
      try {
        const answer = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
        const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
        if (answer.FunctionError) {
          // As Step Functions names a function's error: its errorType, with the payload as the cause.
          let errorType: unknown;
          try {
            errorType = (JSON.parse(text) as { errorType?: unknown }).errorType;
          } catch {
            errorType = undefined;
          }
          return { ok: false, error: typeof errorType === 'string' ? errorType : answer.FunctionError, cause: text };
        }
        return { ok: true, result: text === '' ? null : (JSON.parse(text) as unknown) };
      } catch (err: unknown) {
        return errorOf(err);
      }
    },
    async startExecution(stateMachineArn, name, input) {
      try {
        const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return { ok: true, executionArn: started.executionArn ?? '', alreadyStarted: false };
      } catch (err: unknown) {
        if (err instanceof ExecutionAlreadyExists) {
          return { ok: true, executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, alreadyStarted: true };
        }
        return errorOf(err);
      }
    },
    destroy() {
      if (!options.clients?.sqs) sqs.destroy();
      if (!options.clients?.lambda) lambda.destroy();
      if (!options.clients?.sfn) sfn.destroy();
    },
  };
}
