import type { CfnResource } from '../../local/cloud-assembly';
import { EventTargetDeliveryError, InvalidEventError, InvalidTargetInputError } from '../../local/event-errors';
import { LocalEventBus, type EventTargetDispatcher, type MessageDelivery, type TargetFailure } from '../../local/event-bus';
import { resolveEventRules } from '../../local/event-rules';
import { executionStatusChangeEvent } from '../../local/execution-status-event';
import type { LocalNames } from '../../local/intrinsics';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const SAGA_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Saga`;
const RECOVERY_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Recovery`;
const NOTIFY_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Notify`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:Alerts`;
const DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:RecoveryDlq`;

const names: LocalNames = {
  region: REGION,
  accountId: ACCOUNT,
  stackName: 'Shop',
  ref: (id) => ({ Saga: SAGA_ARN, Recovery: RECOVERY_ARN })[id],
  getAtt: (id) => ({ Notify: NOTIFY_ARN, Alerts: QUEUE_ARN, RecoveryDlq: DLQ_ARN })[id],
};

const statusPattern = (statuses: string[]) => ({
  source: ['aws.states'],
  'detail-type': ['Step Functions Execution Status Change'],
  detail: { status: statuses, stateMachineArn: [{ Ref: 'Saga' }] },
});

function template(): Record<string, CfnResource> {
  return {
    Recover: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: statusPattern(['ABORTED', 'TIMED_OUT']),
        Targets: [
          {
            Id: 'Recovery',
            Arn: { Ref: 'Recovery' },
            InputTransformer: { InputPathsMap: { execution: '$.detail.executionArn', input: '$.detail.input' }, InputTemplate: '{"execution": <execution>, "input": <input>}' },
            RetryPolicy: { MaximumRetryAttempts: 5 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RecoveryDlq', 'Arn'] } },
          },
        ],
      },
    },
    NotifyRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: statusPattern(['ABORTED', 'FAILED']),
        Targets: [
          { Id: 'Fn', Arn: { 'Fn::GetAtt': ['Notify', 'Arn'] }, InputPath: '$.detail' },
          { Id: 'Queue', Arn: { 'Fn::GetAtt': ['Alerts', 'Arn'] }, InputTransformer: { InputPathsMap: { name: '$.detail.name' }, InputTemplate: '"<name> needs a look"' } },
        ],
      },
    },
    Off: { Type: 'AWS::Events::Rule', Properties: { State: 'DISABLED', EventPattern: { source: ['aws.states'] }, Targets: [{ Id: 'R', Arn: { Ref: 'Recovery' } }] } },
    OtherBus: { Type: 'AWS::Events::Rule', Properties: { EventBusName: 'orders', EventPattern: { source: ['aws.states'] }, Targets: [{ Id: 'R', Arn: { Ref: 'Recovery' } }] } },
  };
}

interface Call {
  readonly kind: 'start' | 'invoke' | 'send';
  readonly arn: string;
  readonly input: unknown;
  readonly delivery: { readonly attempt: number; readonly deadLetter?: boolean; readonly messageAttributes?: Readonly<Record<string, string>> };
}

/** A dispatcher that records every call; `failures` says how many times each ARN fails before it succeeds. */
function recordingDispatcher(failures: Record<string, number> = {}): EventTargetDispatcher & { calls: Call[] } {
  const calls: Call[] = [];
  const attempt = (kind: Call['kind'], arn: string, input: unknown, delivery: Call['delivery']) => {
    calls.push({ kind, arn, input, delivery });
    if ((failures[arn] ?? 0) > 0) {
      failures[arn]--;
      const error = new Error(`${arn} is throttled`);
      error.name = 'ThrottlingException';
      return Promise.reject(error);
    }
    return Promise.resolve({ accepted: arn });
  };
  return {
    calls,
    startExecution: (arn, input, delivery) => attempt('start', arn, input, delivery),
    invokeFunction: (arn, payload, delivery) => attempt('invoke', arn, payload, delivery),
    sendMessage: (arn, body, delivery: MessageDelivery) => attempt('send', arn, body, delivery),
  };
}

const aborted = (stateMachineArn = SAGA_ARN) =>
  executionStatusChangeEvent(
    {
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Saga:ord-7`,
      stateMachineArn,
      name: 'ord-7',
      status: 'ABORTED',
      startDate: new Date('2026-01-01T00:00:00Z'),
      stopDate: new Date('2026-01-01T00:00:05Z'),
      input: { orderId: 'ord-7' },
    },
    { region: REGION, account: ACCOUNT, id: 'evt-7' },
  );

describe('LocalEventBus', () => {
  it('delivers an aborted execution\u2019s event to every matching rule\u2019s targets, with each target\u2019s input', async () => {
    const dispatcher = recordingDispatcher();
    const bus = new LocalEventBus({ rules: resolveEventRules(template(), { names }), dispatcher });

    const result = bus.put(aborted());
    const outcomes = await result.deliveries;

    expect(result.matchedRules.map((r) => r.name)).toEqual(['Recover', 'NotifyRule']);
    expect(outcomes.map((o) => [o.rule.name, o.target.id, o.status])).toEqual([
      ['Recover', 'Recovery', 'DELIVERED'],
      ['NotifyRule', 'Fn', 'DELIVERED'],
      ['NotifyRule', 'Queue', 'DELIVERED'],
    ]);
    expect(dispatcher.calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'start', arn: RECOVERY_ARN, input: { execution: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Saga:ord-7`, input: '{"orderId":"ord-7"}' } }),
        expect.objectContaining({ kind: 'invoke', arn: NOTIFY_ARN, input: aborted().detail }),
        expect.objectContaining({ kind: 'send', arn: QUEUE_ARN, input: '"ord-7 needs a look"' }),
      ]),
    );
    expect(bus.stats).toMatchObject({ put: 1, matched: 2, delivered: 3, failed: 0 });
  });

  it('fires no rule for an event of another state machine, a disabled rule or a rule of another bus', async () => {
    const dispatcher = recordingDispatcher();
    const bus = new LocalEventBus({ rules: resolveEventRules(template(), { names }), dispatcher });

    expect(bus.rules.map((r) => r.name)).toEqual(['Recover', 'NotifyRule', 'Off']);
    expect(bus.put(aborted(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Other`)).matchedRules).toEqual([]);
    await bus.settled();
    expect(dispatcher.calls).toEqual([]);
  });

  it('retries a failing target and delivers once it recovers', async () => {
    const dispatcher = recordingDispatcher({ [RECOVERY_ARN]: 2 });
    const bus = new LocalEventBus({ rules: resolveEventRules(template(), { names }), dispatcher, retryDelayMs: 1 });

    const outcomes = await bus.put(aborted()).deliveries;

    expect(outcomes[0]).toMatchObject({ status: 'DELIVERED', attempts: 3 });
    expect(dispatcher.calls.filter((c) => c.arn === RECOVERY_ARN).map((c) => c.delivery.attempt)).toEqual([1, 2, 3]);
    expect(bus.stats.retried).toBe(2);
  });

  it('reports a target that keeps failing, sends the event to its dead-letter queue, and never throws to the emitter', async () => {
    const dispatcher = recordingDispatcher({ [RECOVERY_ARN]: 100 });
    const failures: TargetFailure[] = [];
    const bus = new LocalEventBus({ rules: resolveEventRules(template(), { names }), dispatcher, retryDelayMs: 1, maxRetries: 2, onTargetError: (f) => failures.push(f) });

    const result = bus.put(aborted());
    await bus.settled();
    const outcomes = await result.deliveries;

    expect(outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 3, deadLettered: true });
    expect(failures).toHaveLength(1);
    expect(failures[0].error).toBeInstanceOf(EventTargetDeliveryError);
    expect(failures[0].error).toMatchObject({ ruleName: 'Recover', targetId: 'Recovery', attempts: 3 });
    expect(failures[0].error.cause).toMatchObject({ name: 'ThrottlingException' });
    const dead = dispatcher.calls.find((c) => c.arn === DLQ_ARN)!;
    expect(JSON.parse(dead.input as string)).toEqual(aborted());
    expect(dead.delivery).toMatchObject({
      deadLetter: true,
      messageAttributes: { RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/Recover`, TARGET_ARN: RECOVERY_ARN, ERROR_CODE: 'ThrottlingException', RETRY_ATTEMPTS: '2' },
    });
    expect(bus.stats).toMatchObject({ delivered: 2, failed: 1, deadLettered: 1 });
  });

  it('retries no more than the rule\u2019s retry policy allows', async () => {
    const resources = template();
    const recover = resources.Recover.Properties as { Targets: Record<string, unknown>[] };
    recover.Targets[0].RetryPolicy = { MaximumRetryAttempts: 0 };
    const dispatcher = recordingDispatcher({ [RECOVERY_ARN]: 100 });
    const bus = new LocalEventBus({ rules: resolveEventRules(resources, { names }), dispatcher, retryDelayMs: 1 });

    const outcomes = await bus.put(aborted()).deliveries;

    expect(outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('does not retry an input the target cannot take, and survives a throwing error callback', async () => {
    const rules = resolveEventRules(
      { R: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['aws.states'] }, Targets: [{ Id: 'T', Arn: RECOVERY_ARN, InputTransformer: { InputTemplate: 'not json' } }] } } },
      { names },
    );
    const dispatcher = recordingDispatcher();
    const bus = new LocalEventBus({
      rules,
      dispatcher,
      onTargetError: () => {
        throw new Error('reporting broke');
      },
    });

    const outcomes = await bus.put(aborted()).deliveries;

    expect(outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(outcomes[0].error?.cause).toBeInstanceOf(InvalidTargetInputError);
    expect(dispatcher.calls).toEqual([]);
  });

  it('waits in settled() for deliveries of events put while it waits', async () => {
    const started: string[] = [];
    const dispatcher: EventTargetDispatcher = {
      startExecution: async (arn, input) => {
        await new Promise((done) => setTimeout(done, 5));
        started.push(arn);
        // The recovery execution's own end is a new event on the bus (it matches no rule here, but is tracked).
        bus.putEntry({ source: 'shop.recovery', detailType: 'Recovered', detail: { input } });
        return { executionArn: `${arn}:x` };
      },
      invokeFunction: () => Promise.resolve(undefined),
      sendMessage: () => Promise.resolve(undefined),
    };
    const bus = new LocalEventBus({ rules: resolveEventRules(template(), { names }), dispatcher });

    bus.put(aborted());
    await bus.settled();

    expect(started).toEqual([RECOVERY_ARN]);
    expect(bus.stats.put).toBe(2);
  });

  it('builds PutEvents entries into envelopes of this bus', async () => {
    const rules = resolveEventRules(
      { R: { Type: 'AWS::Events::Rule', Properties: { EventBusName: 'orders', EventPattern: { source: ['shop.orders'], 'detail-type': ['OrderConfirmed'] }, Targets: [{ Id: 'Q', Arn: QUEUE_ARN }] } } },
      { names },
    );
    const dispatcher = recordingDispatcher();
    const bus = new LocalEventBus({ rules, dispatcher, name: 'orders', now: () => new Date('2026-05-06T07:08:09.999Z') });

    const result = bus.putEntry({ source: 'shop.orders', detailType: 'OrderConfirmed', detail: '{"orderId":"ord-9"}' });
    await result.deliveries;

    expect(JSON.parse(dispatcher.calls[0].input as string)).toMatchObject({
      version: '0',
      id: result.eventId,
      source: 'shop.orders',
      'detail-type': 'OrderConfirmed',
      time: '2026-05-06T07:08:09Z',
      account: ACCOUNT,
      region: REGION,
      resources: [],
      detail: { orderId: 'ord-9' },
    });
  });

  it('refuses an event PutEvents would refuse', () => {
    const bus = new LocalEventBus({ rules: [], dispatcher: recordingDispatcher() });

    expect(() => bus.put({ ...aborted(), source: '' })).toThrow(InvalidEventError);
    expect(() => bus.putEntry({ source: 's', detailType: 'd', detail: 'not json' })).toThrow(InvalidEventError);
  });
});
