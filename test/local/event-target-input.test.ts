import { InvalidTargetInputError } from '../../local/event-errors';
import { fillInputTemplate, parseEventPath, targetInputText } from '../../local/event-target-input';

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '000000000000',
  time: '2026-03-04T05:06:09Z',
  region: 'us-east-1',
  resources: ['arn:aws:states:us-east-1:000000000000:execution:Saga:ord-1'],
  detail: { name: 'ord-1', status: 'ABORTED', startDate: 1772600767890, input: '{"orderId":"ord-1"}', error: null, tags: ['a', 'b'], quote: 'say "hi"' },
};
const context = { ruleName: 'Recover', ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/Recover', ingestionTime: '2026-03-04T05:06:10Z' };

describe('targetInputText', () => {
  it('sends the whole event by default', () => {
    expect(JSON.parse(targetInputText({}, event, context))).toEqual(event);
  });

  it('sends a constant Input as written', () => {
    expect(targetInputText({ input: '{ "fixed": 1 }' }, event, context)).toBe('{ "fixed": 1 }');
  });

  it('sends what InputPath selects, dashes in names and array indices included', () => {
    expect(JSON.parse(targetInputText({ inputPath: '$.detail' }, event, context))).toEqual(event.detail);
    expect(targetInputText({ inputPath: '$.detail-type' }, event, context)).toBe('"Step Functions Execution Status Change"');
    expect(targetInputText({ inputPath: '$.resources[0]' }, event, context)).toBe('"arn:aws:states:us-east-1:000000000000:execution:Saga:ord-1"');
    expect(targetInputText({ inputPath: '$' }, event, context)).toBe(JSON.stringify(event));
  });

  it('refuses an InputPath that selects nothing', () => {
    expect(() => targetInputText({ inputPath: '$.detail.nothing' }, event, context)).toThrow(InvalidTargetInputError);
  });
});

describe('fillInputTemplate', () => {
  const fill = (inputPathsMap: Record<string, string>, inputTemplate: string) => fillInputTemplate({ inputPathsMap, inputTemplate }, event, context);

  it('puts a string with its quotes outside a string, and without them inside one', () => {
    expect(fill({ status: '$.detail.status' }, '{"status": <status>, "text": "ended <status>"}')).toBe('{"status": "ABORTED", "text": "ended ABORTED"}');
  });

  it('puts numbers, null and arrays as JSON, inside or outside a string', () => {
    const text = fill({ start: '$.detail.startDate', error: '$.detail.error', tags: '$.detail.tags' }, '{"start": <start>, "error": <error>, "tags": <tags>, "s": "<start> <tags>"}');

    expect(JSON.parse(text)).toEqual({ start: 1772600767890, error: null, tags: ['a', 'b'], s: '1772600767890 ["a","b"]' });
  });

  it('keeps the JSON valid when a string value holds quotes', () => {
    expect(JSON.parse(fill({ q: '$.detail.quote' }, '{"q": "<q>"}'))).toEqual({ q: 'say "hi"' });
  });

  it('fills the reserved variables: the event, the rule name and ARN, the ingestion time', () => {
    const text = fill({}, '{"event": <aws.events.event>, "json": <aws.events.event.json>, "rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>", "at": "<aws.events.event.ingestion-time>"}');

    expect(JSON.parse(text)).toEqual({ event, json: event, rule: 'Recover', arn: context.ruleArn, at: '2026-03-04T05:06:10Z' });
  });

  it('fills a template that is a JSON string, as for an SQS body', () => {
    expect(fill({ name: '$.detail.name', status: '$.detail.status' }, '"Execution <name> ended <status>"')).toBe('"Execution ord-1 ended ABORTED"');
  });

  it('leaves undeclared placeholders as written', () => {
    expect(fill({}, '"<b>bold</b>"')).toBe('"<b>bold</b>"');
  });

  it('fills a missing variable with null outside a string and nothing inside one', () => {
    expect(fill({ gone: '$.detail.gone' }, '{"a": <gone>, "b": "x<gone>y"}')).toBe('{"a": null, "b": "xy"}');
  });

  it('does not take an escaped quote for the end of a string', () => {
    expect(fill({ s: '$.detail.status' }, '{"a": "\\"<s>\\""}')).toBe('{"a": "\\"ABORTED\\""}');
  });
});

describe('parseEventPath', () => {
  it('parses dots, indices and quoted names', () => {
    expect(parseEventPath("$.detail.items[0]['sku-id']")).toEqual(['detail', 'items', 0, 'sku-id']);
  });

  it.each(['detail', '$..detail', '$.detail.*', '$.items[?(@.x)]', '$.a[*]'])('refuses %s', (path) => {
    expect(() => parseEventPath(path)).toThrow(InvalidTargetInputError);
  });
});
