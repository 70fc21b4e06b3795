import { executionStatusChangeEvent, STATUS_CHANGE_DATA_LIMIT_BYTES } from '../../local/execution-status-event';

const envelope = { region: 'us-east-1', account: '000000000000' };
const ended = {
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Saga:ord-1',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Saga',
  name: 'ord-1',
  startDate: new Date('2026-03-04T05:06:07.890Z'),
  stopDate: new Date('2026-03-04T05:06:09.123Z'),
};

describe('executionStatusChangeEvent', () => {
  it('shapes an aborted execution\u2019s event as Step Functions sends it', () => {
    const event = executionStatusChangeEvent(
      { ...ended, status: 'ABORTED', input: { orderId: 'ord-1' }, error: 'Stopped', cause: 'by an operator' },
      { ...envelope, id: '11111111-2222-3333-4444-555555555555' },
    );

    expect(event).toEqual({
      version: '0',
      id: '11111111-2222-3333-4444-555555555555',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '000000000000',
      time: '2026-03-04T05:06:09Z',
      region: 'us-east-1',
      resources: [ended.executionArn],
      detail: {
        executionArn: ended.executionArn,
        stateMachineArn: ended.stateMachineArn,
        name: 'ord-1',
        status: 'ABORTED',
        startDate: 1772600767890,
        stopDate: 1772600769123,
        input: '{"orderId":"ord-1"}',
        output: null,
        inputDetails: { included: true },
        outputDetails: { included: false },
        error: 'Stopped',
        cause: 'by an operator',
      },
    });
  });

  it('gives a succeeded execution its output as text and null error and cause', () => {
    const event = executionStatusChangeEvent({ ...ended, status: 'SUCCEEDED', input: {}, output: { status: 'CONFIRMED' } }, envelope);

    expect(event.detail).toMatchObject({ output: '{"status":"CONFIRMED"}', outputDetails: { included: true }, error: null, cause: null });
  });

  it('gives a running execution a null stop date, and a random id and the current time', () => {
    const before = Date.now();
    const event = executionStatusChangeEvent({ ...ended, stopDate: undefined, status: 'RUNNING', input: {} }, envelope);

    expect(event.detail.stopDate).toBeNull();
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it('keeps the exact input text when given', () => {
    const event = executionStatusChangeEvent({ ...ended, status: 'FAILED', inputText: '{ "orderId" : "ord-1" }' }, envelope);

    expect(event.detail.input).toBe('{ "orderId" : "ord-1" }');
  });

  it('includes input and output up to 248 KiB and leaves out larger ones, saying so', () => {
    const text = (bytes: number) => JSON.stringify('x'.repeat(bytes - 2));
    const atLimit = executionStatusChangeEvent({ ...ended, status: 'SUCCEEDED', inputText: text(STATUS_CHANGE_DATA_LIMIT_BYTES), outputText: text(STATUS_CHANGE_DATA_LIMIT_BYTES + 1) }, envelope);

    expect(STATUS_CHANGE_DATA_LIMIT_BYTES).toBe(253_952);
    expect(atLimit.detail.inputDetails).toEqual({ included: true });
    expect(atLimit.detail.input).toHaveLength(STATUS_CHANGE_DATA_LIMIT_BYTES);
    expect(atLimit.detail.outputDetails).toEqual({ included: false });
    expect(atLimit.detail.output).toBeNull();
  });

  it('measures the limit in UTF-8 bytes, not characters', () => {
    const wide = JSON.stringify('é'.repeat(STATUS_CHANGE_DATA_LIMIT_BYTES / 2)); // 2 bytes each, plus quotes: over the limit

    const event = executionStatusChangeEvent({ ...ended, status: 'FAILED', inputText: wide }, envelope);

    expect(wide.length).toBeLessThan(STATUS_CHANGE_DATA_LIMIT_BYTES);
    expect(event.detail).toMatchObject({ input: null, inputDetails: { included: false } });
  });
});
