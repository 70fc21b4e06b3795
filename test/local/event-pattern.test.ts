import { InvalidEventPatternError } from '../../local/event-errors';
import { compileEventPattern, matchesEventPattern, validateEventPattern } from '../../local/event-pattern';

// Cases follow the EventBridge user guide's "Creating event patterns", "Content filtering in Amazon EventBridge
// event patterns" and "Arrays in event patterns" pages: the pattern, then events that must and must not match.

const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

describe('matchesEventPattern', () => {
  describe('exact values, AND across fields, OR within a list', () => {
    const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated', 'stopped'] } };

    it('matches an event with every named field at the same nesting, ignoring other fields', () => {
      expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
      expect(matchesEventPattern(pattern, { ...ec2Event, detail: { ...ec2Event.detail, state: 'stopped' } })).toBe(true);
    });

    it('does not match when one field differs, is missing, or sits at another nesting level', () => {
      expect(matchesEventPattern(pattern, { ...ec2Event, detail: { state: 'running' } })).toBe(false);
      expect(matchesEventPattern(pattern, { ...ec2Event, detail: {} })).toBe(false);
      expect(matchesEventPattern(pattern, { ...ec2Event, state: 'terminated', detail: { other: 1 } })).toBe(false);
      expect(matchesEventPattern(pattern, { ...ec2Event, source: 'aws.ec2 ' })).toBe(false);
    });

    it('compares strings case-sensitively and never a string with a number', () => {
      expect(matchesEventPattern({ detail: { state: ['Terminated'] } }, ec2Event)).toBe(false);
      expect(matchesEventPattern({ detail: { count: ['5'] } }, { detail: { count: 5 } })).toBe(false);
      expect(matchesEventPattern({ detail: { count: [5] } }, { detail: { count: '5' } })).toBe(false);
      expect(matchesEventPattern({ detail: { count: [300] } }, { detail: { count: 3.0e2 } })).toBe(true);
    });

    it('matches null and the empty string as values', () => {
      expect(matchesEventPattern({ detail: { responseElements: [null] } }, { detail: { responseElements: null } })).toBe(true);
      expect(matchesEventPattern({ detail: { responseElements: [null] } }, { detail: {} })).toBe(false);
      expect(matchesEventPattern({ detail: { eventVersion: [''] } }, { detail: { eventVersion: '' } })).toBe(true);
      expect(matchesEventPattern({ detail: { eventVersion: [''] } }, { detail: { eventVersion: '1' } })).toBe(false);
      expect(matchesEventPattern({ detail: { flag: [true] } }, { detail: { flag: true } })).toBe(true);
      expect(matchesEventPattern({ detail: { flag: [true] } }, { detail: { flag: 'true' } })).toBe(false);
    });
  });

  describe('arrays in the event', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };

    it('matches when the pattern list and the event array intersect', () => {
      const event = {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      };
      expect(matchesEventPattern(pattern, event)).toBe(true);
    });

    it('does not match when they do not intersect, or the array is empty', () => {
      expect(matchesEventPattern(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] })).toBe(false);
      expect(matchesEventPattern(pattern, { resources: [] })).toBe(false);
    });

    it('matches the fields of one array element together, never fields of two elements', () => {
      const event = { detail: { items: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }] } };
      expect(matchesEventPattern({ detail: { items: { sku: ['B'], qty: [2] } } }, event)).toBe(true);
      expect(matchesEventPattern({ detail: { items: { sku: ['A'], qty: [2] } } }, event)).toBe(false);
    });
  });

  describe('prefix and suffix', () => {
    it('matches a prefix, and a prefix ignoring case', () => {
      expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' })).toBe(true);
      expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' })).toBe(false);
      const ignoreCase = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
      for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge']) expect(matchesEventPattern(ignoreCase, { detail: { service } })).toBe(true);
      expect(matchesEventPattern(ignoreCase, { detail: { service: 'Event Bridge' } })).toBe(false);
    });

    it('matches a suffix, and a suffix ignoring case', () => {
      expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
      expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
      expect(matchesEventPattern({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'image.PNG' } })).toBe(true);
    });

    it('applies to strings only', () => {
      expect(matchesEventPattern({ detail: { code: [{ prefix: '12' }] } }, { detail: { code: 123 } })).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches anything but a string or a number, and requires the field to exist', () => {
      const notInitializing = { detail: { state: [{ 'anything-but': 'initializing' }] } };
      expect(matchesEventPattern(notInitializing, { detail: { state: 'running' } })).toBe(true);
      expect(matchesEventPattern(notInitializing, { detail: { state: 'initializing' } })).toBe(false);
      expect(matchesEventPattern(notInitializing, { detail: {} })).toBe(false);
      expect(matchesEventPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 456 } })).toBe(true);
      expect(matchesEventPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } })).toBe(false);
    });

    it('matches anything but the values of a list', () => {
      const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
      expect(matchesEventPattern(pattern, { detail: { state: 'running' } })).toBe(true);
      expect(matchesEventPattern(pattern, { detail: { state: 'overloaded' } })).toBe(false);
      const numbers = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
      expect(matchesEventPattern(numbers, { detail: { 'x-limit': 150 } })).toBe(true);
      expect(matchesEventPattern(numbers, { detail: { 'x-limit': 200 } })).toBe(false);
    });

    it('matches anything but a prefix, a suffix, a value ignoring case, or a wildcard', () => {
      const prefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
      expect(matchesEventPattern(prefix, { detail: { state: 'running' } })).toBe(true);
      expect(matchesEventPattern(prefix, { detail: { state: 'initializing' } })).toBe(false);
      const suffix = { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } };
      expect(matchesEventPattern(suffix, { detail: { FileName: 'notes.md' } })).toBe(true);
      expect(matchesEventPattern(suffix, { detail: { FileName: 'notes.txt' } })).toBe(false);
      const ignoreCase = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } };
      expect(matchesEventPattern(ignoreCase, { detail: { state: 'running' } })).toBe(true);
      expect(matchesEventPattern(ignoreCase, { detail: { state: 'STOPPED' } })).toBe(false);
      const wildcard = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
      expect(matchesEventPattern(wildcard, { detail: { FilePath: '/usr/bin/env' } })).toBe(true);
      expect(matchesEventPattern(wildcard, { detail: { FilePath: '/usr/lib/libc.so' } })).toBe(false);
    });

    it('matches an event array when any element is not excluded', () => {
      expect(matchesEventPattern({ detail: { tags: [{ 'anything-but': 'a' }] } }, { detail: { tags: ['a', 'b'] } })).toBe(true);
      expect(matchesEventPattern({ detail: { tags: [{ 'anything-but': 'a' }] } }, { detail: { tags: ['a'] } })).toBe(false);
    });
  });

  describe('numeric', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };

    it('matches values inside every range', () => {
      expect(matchesEventPattern(pattern, { detail: { 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 } })).toBe(true);
    });

    it('does not match a value on an open bound, outside a range, or a numeric string', () => {
      expect(matchesEventPattern(pattern, { detail: { 'c-count': 0, 'd-count': 7, 'x-limit': 301.8 } })).toBe(false);
      expect(matchesEventPattern(pattern, { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } })).toBe(false);
      expect(matchesEventPattern(pattern, { detail: { 'c-count': 5, 'd-count': 7, 'x-limit': 301.9 } })).toBe(false);
      expect(matchesEventPattern(pattern, { detail: { 'c-count': '5', 'd-count': 7, 'x-limit': 301.8 } })).toBe(false);
    });
  });

  describe('cidr', () => {
    it('matches IPv4 addresses inside the block only', () => {
      const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
      expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
      expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
      expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: 'not an ip' } })).toBe(false);
    });

    it('matches IPv6 addresses inside the block only', () => {
      const pattern = { detail: { sourceIPAddress: [{ cidr: 'bcde:6789:bcde:ffff::/64' }] } };
      expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: 'bcde:6789:bcde:ffff:0:0:0:1' } })).toBe(true);
      expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: 'bcde:6789:bcde:fffe::1' } })).toBe(false);
      expect(matchesEventPattern(pattern, { detail: { sourceIPAddress: '10.0.0.1' } })).toBe(false);
    });
  });

  describe('exists', () => {
    it('matches a present leaf with true and an absent one with false', () => {
      expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, ec2Event)).toBe(true);
      expect(matchesEventPattern({ detail: { state: [{ exists: false }] } }, ec2Event)).toBe(false);
      expect(matchesEventPattern({ detail: { 'c-count': [{ exists: false }] } }, ec2Event)).toBe(true);
      expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, ec2Event)).toBe(false);
    });

    it('counts a null value as existing', () => {
      expect(matchesEventPattern({ detail: { error: [{ exists: true }] } }, { detail: { error: null } })).toBe(true);
    });

    it('works on leaf nodes only: an object-valued field does not exist as a leaf', () => {
      const event = { detail: { state: { name: 'running' } } };
      expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, event)).toBe(false);
      expect(matchesEventPattern({ detail: { state: [{ exists: false }] } }, event)).toBe(true);
    });

    it('treats a missing parent as a missing field', () => {
      expect(matchesEventPattern({ detail: { error: [{ exists: false }] } }, { source: 'x' })).toBe(true);
    });
  });

  describe('equals-ignore-case and wildcard', () => {
    it('matches a value ignoring case', () => {
      const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
      expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
      expect(matchesEventPattern(pattern, { ...ec2Event, 'detail-type': 'EC2 Instance State-change' })).toBe(false);
    });

    it('matches wildcards over any run of characters, slashes included', () => {
      const arns = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
      expect(matchesEventPattern(arns, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' })).toBe(true);
      expect(matchesEventPattern(arns, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/orders' })).toBe(false);
      expect(matchesEventPattern({ FilePath: [{ wildcard: 'dir/*.png' }] }, { FilePath: 'dir/a/b/c.png' })).toBe(true);
      expect(matchesEventPattern({ FilePath: [{ wildcard: 'dir/*.png' }] }, { FilePath: 'dir/c.pngx' })).toBe(false);
    });

    it('treats an escaped star as a literal star and regular-expression characters literally', () => {
      expect(matchesEventPattern({ name: [{ wildcard: 'a\\*b' }] }, { name: 'a*b' })).toBe(true);
      expect(matchesEventPattern({ name: [{ wildcard: 'a\\*b' }] }, { name: 'axb' })).toBe(false);
      expect(matchesEventPattern({ name: [{ wildcard: 'a.c' }] }, { name: 'abc' })).toBe(false);
    });
  });

  describe('$or', () => {
    it('matches when any alternative matches, ANDed with the level\u2019s other fields', () => {
      const pattern = {
        source: ['aws.ec2'],
        $or: [{ 'detail-type': ['EC2 Instance State-change Notification'] }, { 'detail-type': ['EC2 Spot Instance Interruption Warning'] }],
      };
      expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
      expect(matchesEventPattern(pattern, { ...ec2Event, 'detail-type': 'EC2 Spot Instance Interruption Warning' })).toBe(true);
      expect(matchesEventPattern(pattern, { ...ec2Event, 'detail-type': 'Something else' })).toBe(false);
      expect(matchesEventPattern(pattern, { ...ec2Event, source: 'aws.s3' })).toBe(false);
    });

    it('works inside a nested object, with other operators in its alternatives', () => {
      const pattern = {
        detail: {
          $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }],
        },
      };
      expect(matchesEventPattern(pattern, { detail: { 'd-count': 3 } })).toBe(true);
      expect(matchesEventPattern(pattern, { detail: { 'c-count': 7, 'd-count': 12, 'x-limit': 1 } })).toBe(false);
    });
  });

  it('matches the saga recovery rule on ABORTED and TIMED_OUT executions of its state machine only', () => {
    const pattern = compileEventPattern({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: ['arn:aws:states:us-east-1:000000000000:stateMachine:Saga'] },
    });
    const event = (status: string, stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Saga') => ({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status, stateMachineArn },
    });

    expect(pattern.matches(event('ABORTED'))).toBe(true);
    expect(pattern.matches(event('TIMED_OUT'))).toBe(true);
    expect(pattern.matches(event('FAILED'))).toBe(false);
    expect(pattern.matches(event('ABORTED', 'arn:aws:states:us-east-1:000000000000:stateMachine:Other'))).toBe(false);
  });

  it('matches FAILED executions whose error is not one of the saga\u2019s terminal errors', () => {
    const pattern = { detail: { status: ['FAILED'], error: [{ 'anything-but': ['SagaCompensated', 'SagaCompensationFailed'] }] } };

    expect(matchesEventPattern(pattern, { detail: { status: 'FAILED', error: 'States.Runtime' } })).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { status: 'FAILED', error: 'SagaCompensated' } })).toBe(false);
    expect(matchesEventPattern(pattern, { detail: { status: 'SUCCEEDED', error: null } })).toBe(false);
  });

  it('accepts the pattern as JSON text, as CloudFormation may hold it', () => {
    expect(matchesEventPattern('{"source":["aws.ec2"]}', ec2Event)).toBe(true);
  });
});

describe('validateEventPattern', () => {
  it.each([
    ['a leaf that is not a list', { source: 'aws.ec2' }, 'source'],
    ['an empty list', { source: [] }, 'source'],
    ['an unknown operator', { detail: { state: [{ contains: 'x' }] } }, 'detail.state[0].contains'],
    ['two operators in one object', { detail: { state: [{ prefix: 'a', suffix: 'b' }] } }, 'detail.state[0]'],
    ['a numeric range with the upper bound first', { n: [{ numeric: ['<', 5, '>', 0] }] }, 'n[0].numeric'],
    ['an empty numeric range', { n: [{ numeric: ['>', 5, '<', 5] }] }, 'n[0].numeric'],
    ['a numeric operator that does not exist', { n: [{ numeric: ['!=', 5] }] }, 'n[0].numeric[0]'],
    ['exists with a string', { n: [{ exists: 'yes' }] }, 'n[0].exists'],
    ['consecutive wildcards', { n: [{ wildcard: 'a**b' }] }, 'n[0].wildcard'],
    ['an invalid escape in a wildcard', { n: [{ wildcard: 'a\\b' }] }, 'n[0].wildcard'],
    ['an anything-but mixing strings and numbers', { n: [{ 'anything-but': ['a', 1] }] }, 'n[0].anything-but'],
    ['an anything-but with an unknown operator', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'n[0].anything-but.numeric'],
    ['a cidr that is not a block', { ip: [{ cidr: '10.0.0.0' }] }, 'ip[0].cidr'],
    ['a $or with one alternative', { $or: [{ a: ['b'] }] }, '$or'],
    ['an empty pattern', {}, ''],
  ])('refuses %s, naming where', (_what, pattern, path) => {
    let caught: unknown;
    try {
      validateEventPattern(pattern);
    } catch (err: unknown) {
      caught = err;
    }

    expect(caught).toBeInstanceOf(InvalidEventPatternError);
    expect((caught as InvalidEventPatternError).path).toBe(path);
  });

  it('refuses pattern text that is not JSON', () => {
    expect(() => validateEventPattern('{source:')).toThrow(InvalidEventPatternError);
  });
});
