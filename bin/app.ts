#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrderSagaStack } from '../lib/order-saga-stack';

const app = new App();
const on = (name: string) => {
  const flag: unknown = app.node.tryGetContext(name);
  return flag === true || flag === 'true';
};
new OrderSagaStack(app, 'ServerlessSaga', {
  faultInjection: on('faultInjection'),
  // For comparing latency: ChargePayment and ScheduleShipment one after the other (npm run bench:parallel).
  sequential: on('sequential'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
