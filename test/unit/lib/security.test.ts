import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { loadSynthesizedStack } from '../../../local/cloud-assembly';
import { resolveLocalStack } from '../../../local/local-stack';
import { OrderSagaStack } from '../../../lib/order-saga-stack';
import { E2E_CONTEXT } from '../../helpers/global-setup';

const template = Template.fromStack(new OrderSagaStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'SecuritySaga'));

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of every inline policy, with the role it is attached to. */
function statements(): { role: string; statement: Statement }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => {
    const roles = (p.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
    return (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((statement) => roles.map((role) => ({ role, statement })));
  });
}

const resourceName = (resource: unknown): string =>
  Array.isArray(resource)
    ? resource.map(resourceName).join(' | ')
    : resource === '*'
      ? '*'
      : (JSON.stringify(resource).match(/"([A-Za-z]+?)[0-9A-F]{8}"/)?.[1] ?? JSON.stringify(resource)) + (JSON.stringify(resource).includes(':*') ? ':*' : '');

describe('the state machine role', () => {
  it('may invoke only the nine functions and send only to the compensation-failures queue', () => {
    const grants = statements()
      .filter(({ role }) => role.startsWith('OrderSagaStateMachineRole'))
      .flatMap(({ statement }) => [statement.Action].flat().map((action) => ({ action, resources: [statement.Resource].flat().map(resourceName).sort() })));

    const resourcesOf = (action: string) => grants.filter((g) => g.action === action).flatMap((g) => g.resources).sort();
    expect(resourcesOf('lambda:InvokeFunction')).toEqual(
      [
        'CancelOrderFunction',
        'CancelShipmentFunction',
        'ChargePaymentFunction',
        'ConfirmOrderFunction',
        'CreateOrderFunction',
        'RefundPaymentFunction',
        'ReleaseInventoryFunction',
        'ReserveInventoryFunction',
        'ScheduleShipmentFunction',
      ]
        .flatMap((f) => [f, `${f}:*`])
        .sort(),
    );
    expect(resourcesOf('sqs:SendMessage')).toEqual(['CompensationFailures']);
    const others = grants.filter((g) => !['lambda:InvokeFunction', 'sqs:SendMessage'].includes(g.action)).map((g) => g.action);
    // Logs delivery and X-Ray have no resource-level permissions.
    expect(others.every((a) => a.startsWith('logs:') || a.startsWith('xray:'))).toBe(true);
  });
});

describe('no wildcard on data', () => {
  it('grants no data action on every resource, and no service-wide action', () => {
    const offending = statements()
      .filter(({ statement }) => statement.Effect === 'Allow')
      .flatMap(({ role, statement }) => [statement.Action].flat().map((action) => ({ role, action, resource: statement.Resource })))
      .filter(({ action, resource }) => action.endsWith(':*') || (/^(dynamodb|sqs|lambda|states|kms|s3):/.test(action) && resource === '*'))
      // ListStreams (reading which streams exist, no data) has no resource-level permissions; the pipes need it.
      .filter(({ role, action }) => !(action === 'dynamodb:ListStreams' && role.startsWith('OrderEventsPipeRole')));

    expect(offending).toEqual([]);
  });
});

describe('no secrets in what is deployed', () => {
  // Twelve digits standing alone (as in an ARN's `:123456789012:`): not inside a longer number, a UUID (such as the
  // nil UUID in zod's patterns) or a hexadecimal asset hash.
  const accountId = /(?<![0-9A-Za-z-])[0-9]{12}(?![0-9A-Za-z-])/;
  const accessKey = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
  const secretKey = /aws_secret_access_key|secretAccessKey\s*[:=]\s*['"][A-Za-z0-9/+]{40}/i;

  it('has no account id, access key or secret key in the template', () => {
    const text = JSON.stringify(template.toJSON());

    expect(text).not.toMatch(accountId);
    expect(text).not.toMatch(accessKey);
    expect(text).not.toMatch(secretKey);
  });

  it('has no account id, access key or secret key in the Lambda bundles', async () => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' }));
    const bundles = stack.functions.map((f) => readFileSync(f.entry, 'utf8'));

    // The nine saga functions (steps, compensations, the failure step) and the two Orders API functions.
    expect(bundles.length).toBe(11);
    for (const bundle of bundles) {
      expect(bundle).not.toMatch(accessKey);
      expect(bundle).not.toMatch(secretKey);
      expect(bundle.match(new RegExp(accountId, 'g')) ?? []).toEqual([]);
    }
  });
});
