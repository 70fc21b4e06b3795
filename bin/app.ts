#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrderSagaStack } from '../lib/order-saga-stack';

const app = new App();
const flag: unknown = app.node.tryGetContext('faultInjection');
new OrderSagaStack(app, 'ServerlessSaga', {
  faultInjection: flag === true || flag === 'true',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
