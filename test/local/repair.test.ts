import {
  compensationOutcome,
  formatRepairReport,
  functionOfStep,
  readRepairRequest,
  repairExecutionName,
  stateMachineArnOf,
  StepFunctionNotFoundError,
  UnreadableMessageError,
  type QueuedMessage,
} from '../../cli/repair';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:Refund';
const message = (body: unknown, attributes: Record<string, string> = {}): QueuedMessage => ({
  messageId: 'm-1',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes,
});

describe('stateMachineArnOf', () => {
  it("turns an execution ARN into its state machine's", () => {
    expect(stateMachineArnOf('arn:aws:states:eu-west-1:123456789012:execution:OrderSaga:ord-1')).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:OrderSaga');
  });

  it('refuses what is not a Standard execution ARN', () => {
    expect(() => stateMachineArnOf('arn:aws:states:eu-west-1:123456789012:stateMachine:OrderSaga')).toThrow(StepFunctionNotFoundError);
  });
});

describe('functionOfStep', () => {
  it.each([
    ['a JSONPath lambda:invoke Task', { Refund: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: FN } } }],
    ['a JSONata lambda:invoke Task', { Refund: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: FN, Payload: '{% $states.input %}' } } }],
    ['a Task whose resource is the function', { Refund: { Type: 'Task', Resource: FN } }],
    ['a Task in a Parallel branch', { Both: { Type: 'Parallel', Branches: [{ StartAt: 'Refund', States: { Refund: { Type: 'Task', Resource: FN, End: true } } }] } }],
  ])('finds the function of %s', (_what, States) => {
    expect(functionOfStep({ StartAt: 'x', States }, 'Refund')).toBe(FN);
  });

  it.each([
    ['no such state', {}, 'the state machine has no state Refund'],
    ['a state that is no Task', { Refund: { Type: 'Pass' } }, 'state Refund is not a Task that invokes a Lambda function'],
    ['a function chosen at run time', { Refund: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$.fn' } } }, 'state Refund chooses its function at run time'],
  ])('refuses %s', (_what, States, error) => {
    expect(() => functionOfStep({ States }, 'Refund')).toThrow(error);
  });
});

describe('readRepairRequest', () => {
  it('reads a compensation failure, taking the saga as the recorder when executionArn is missing', () => {
    const request = readRepairRequest(message({ sagaId: 'arn:s', step: 'RefundPayment', error: 'Error', input: { orderId: 'o' } }));

    expect(request).toEqual({ kind: 'compensation', sagaId: 'arn:s', executionArn: 'arn:s', step: 'RefundPayment', error: 'Error', cause: undefined, input: { orderId: 'o' } });
  });

  it('reads a dead-lettered event from its body and attributes', () => {
    const event = { version: '0', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: {} };
    const target = 'arn:aws:states:us-east-1:000000000000:stateMachine:Recovery';

    const request = readRepairRequest(message(event, { TARGET_ARN: target, RULE_ARN: 'arn:rule', ERROR_CODE: 'THROTTLING', ERROR_MESSAGE: 'slow down' }));

    expect(request).toEqual({ kind: 'event', targetArn: target, ruleArn: 'arn:rule', error: 'THROTTLING', cause: 'slow down', detailType: 'Step Functions Execution Status Change', event });
  });

  it.each([
    ['a body that is not JSON', message('{'), /^the body is not JSON/],
    ['a JSON array', message([1]), /^the body is not a JSON object$/],
    ['an event without TARGET_ARN', message({ 'detail-type': 'x', detail: {} }), /without a TARGET_ARN attribute/],
    ['an event for a Lambda target', message({ 'detail-type': 'x', detail: {} }, { TARGET_ARN: FN }), /repair restarts state machines only/],
    ['a failure without its input', message({ sagaId: 'arn:s', step: 'RefundPayment' }), /: input missing$/],
  ])('refuses %s as unreadable', (_what, m, reason) => {
    expect(() => readRepairRequest(m)).toThrow(UnreadableMessageError);
    expect(() => readRepairRequest(m)).toThrow(reason);
  });
});

describe('compensationOutcome', () => {
  it.each([
    ['RefundPayment', { chargeId: 'c', refund: { outcome: 'undone' } }, { outcome: 'undone' }],
    ['ReleaseInventory', { reservationId: 'r', release: { outcome: 'not-owned', owner: 'arn:other' } }, { outcome: 'not-owned', owner: 'arn:other' }],
    ['CancelOrder', { orderId: 'o', outcome: 'already-cancelled', status: 'CANCELLED' }, { outcome: 'already-cancelled' }],
    ['a function that says nothing', null, { outcome: 'done' }],
  ])('reads what %s says it did', (_what, result, expected) => {
    expect(compensationOutcome(result)).toEqual(expected);
  });
});

describe('repairExecutionName', () => {
  it('is a valid execution name derived from the message id', () => {
    expect(repairExecutionName('2d8bcebb-2028-429d-b478-cac511a2a227')).toBe('repair-2d8bcebb-2028-429d-b478-cac511a2a227');
    expect(repairExecutionName('a/b:c'.repeat(30))).toMatch(/^repair-[A-Za-z0-9_-]{73}$/);
  });
});

describe('formatRepairReport', () => {
  it('says what was repaired, what still fails and what cannot be read, one message each', () => {
    const text = formatRepairReport({
      queue: 'https://sqs/q',
      dryRun: false,
      listed: [],
      repaired: [{ kind: 'compensation', messageId: 'm-1', sagaId: 'arn:s1', step: 'RefundPayment', orderId: 'ord-1', outcome: 'undone', result: {} }],
      stillFailing: [{ kind: 'compensation', messageId: 'm-2', sagaId: 'arn:s2', step: 'ReleaseInventory', orderId: 'ord-2', error: 'Error', cause: '{"errorType":"Error","errorMessage":"boom"}' }],
      unreadable: [{ messageId: 'm-3', reason: 'the body is not JSON', body: '{' }],
    });

    expect(text.split('\n')).toEqual([
      'Compensation-failures queue https://sqs/q: 3 messages',
      '  ✔ RefundPayment of ord-1: undone now; deleted from the queue',
      '      saga arn:s1',
      '  ✘ ReleaseInventory of ord-2: still fails with Error: boom; kept on the queue',
      '      saga arn:s2',
      '  ? message m-3: unreadable: the body is not JSON; kept on the queue',
      '1 repaired, 1 still failing, 1 unreadable: fix the cause and run saga repair again (see docs/runbook.md).',
    ]);
  });
});
