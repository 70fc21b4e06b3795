import { RemovalPolicy } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { deploymentSettings } from '../../../lib/deployment';

const from = (context: Record<string, unknown>) => deploymentSettings((name) => context[name]);

describe('deploymentSettings', () => {
  it('without a stage, is the stack every earlier deploy made: ServerlessSaga, data retained, full logs', () => {
    expect(from({ faultInjection: false })).toEqual({
      stage: undefined,
      stackName: 'ServerlessSaga',
      dataRemovalPolicy: RemovalPolicy.RETAIN,
      logLevel: sfn.LogLevel.ALL,
      logExecutionData: true,
      alarmEmail: undefined,
      faultInjection: false,
      sequential: false,
    });
  });

  it('gives a development stage a stack of its own whose data goes with it', () => {
    expect(from({ stage: 'dev' })).toMatchObject({ stackName: 'ServerlessSaga-dev', dataRemovalPolicy: RemovalPolicy.DESTROY, logLevel: sfn.LogLevel.ALL, logExecutionData: true });
  });

  it('keeps prod data and leaves orders and addresses out of its logs', () => {
    expect(from({ stage: 'prod' })).toMatchObject({ stackName: 'ServerlessSaga-prod', dataRemovalPolicy: RemovalPolicy.RETAIN, logLevel: sfn.LogLevel.ERROR, logExecutionData: false });
  });

  it('lets context override each default, as -c gives it (strings)', () => {
    expect(from({ stage: 'test', retainData: 'true', logLevel: 'fatal', logExecutionData: 'false', alarmEmail: 'ops@example.com', faultInjection: 'true' })).toMatchObject({
      dataRemovalPolicy: RemovalPolicy.RETAIN,
      logLevel: sfn.LogLevel.FATAL,
      logExecutionData: false,
      alarmEmail: 'ops@example.com',
      faultInjection: true,
    });
  });

  it.each([
    [{ stage: 'Prod' }, /stage 'Prod' must be 1-20 lower-case letters/],
    [{ stage: 'my_stage' }, /stage 'my_stage'/],
    [{ logLevel: 'OFF' }, /logLevel 'OFF' must be ALL, ERROR or FATAL \(not OFF: the SagaCompensationFailed alarm/],
    [{ alarmEmail: 'ops' }, /alarmEmail 'ops' is not an email address/],
    [{ retainData: 'yes' }, /retainData must be true or false, got 'yes'/],
    [{ stage: 7 }, /stage must be a string, got 7/],
  ])('refuses %j, naming the value', (context, message) => {
    expect(() => from(context)).toThrow(message);
  });
});
