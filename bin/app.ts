#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploymentSettings } from '../lib/deployment';
import { OrderSagaStack } from '../lib/order-saga-stack';

const app = new App();
// -c stage=dev|test|prod, retainData, logLevel, logExecutionData, alarmEmail, faultInjection, sequential (lib/deployment.ts).
const settings = deploymentSettings((name) => app.node.tryGetContext(name));
new OrderSagaStack(app, settings.stackName, {
  faultInjection: settings.faultInjection,
  // For comparing latency: ChargePayment and ScheduleShipment one after the other (npm run bench:parallel).
  sequential: settings.sequential,
  dataRemovalPolicy: settings.dataRemovalPolicy,
  logLevel: settings.logLevel,
  logExecutionData: settings.logExecutionData,
  alarmEmail: settings.alarmEmail,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
