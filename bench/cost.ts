/**
 * The cost of a million orders on AWS, from what the bench measured per saga (transitions, Lambda invocations and
 * their duration, DynamoDB read and write units, SQS messages) and the list prices in `bench/prices.json`.
 * `npx tsx bench/cost.ts [bench/results/<date>.json]` prints the table for a bench result (default: the newest).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { UsagePerSaga } from './saga-bench';
import type { BenchResult } from './run-bench';

type PriceName =
  | 'stepFunctionsStandardPerTransition'
  | 'stepFunctionsExpressPerRequest'
  | 'stepFunctionsExpressPerGbSecond'
  | 'lambdaPerRequest'
  | 'lambdaArmPerGbSecond'
  | 'lambdaX86PerGbSecond'
  | 'dynamoDbOnDemandPerWriteRequestUnit'
  | 'dynamoDbOnDemandPerReadRequestUnit'
  | 'sqsStandardPerRequest'
  | 'eventBridgeAwsServiceEvent';

export interface PriceList {
  readonly recorded: string;
  readonly region: string;
  readonly prices: Readonly<Record<PriceName, { readonly price: number; readonly source: string }>>;
}

export const PRICES_FILE = path.join(__dirname, 'prices.json');

export function loadPrices(file = PRICES_FILE): PriceList {
  return JSON.parse(readFileSync(file, 'utf8')) as PriceList;
}

/** What one saga uses on AWS, as the model prices it. */
export interface SagaShape {
  readonly transitions: number;
  readonly invocations: number;
  /** Billed milliseconds per invocation (rounded up to 1 ms by Lambda). */
  readonly msPerInvocation: number;
  readonly memoryMb: number;
  readonly architecture: 'arm64' | 'x86_64';
  readonly readUnits: number;
  /** Write request units as AWS bills them (transactional writes count twice). */
  readonly writeUnits: number;
  readonly queueMessages: number;
  /** How long an Express execution would run, for its GB-seconds. */
  readonly executionMs: number;
}

/** Dollars per million orders, by item, for Standard and Express. */
export interface Cost {
  readonly stateMachine: { readonly standard: number; readonly express: number };
  readonly lambda: number;
  readonly dynamoDb: number;
  readonly sqs: number;
  readonly standard: number;
  readonly express: number;
}

const MILLION = 1_000_000;

/** Prices one saga's shape, times a million. */
export function costPerMillion(shape: SagaShape, list: PriceList): Cost {
  const p = (name: PriceName) => list.prices[name].price;
  const gb = shape.memoryMb / 1024;
  const lambdaSeconds = Math.ceil(shape.msPerInvocation) / 1000;
  const lambda = shape.invocations * (p('lambdaPerRequest') + gb * lambdaSeconds * p(shape.architecture === 'arm64' ? 'lambdaArmPerGbSecond' : 'lambdaX86PerGbSecond'));
  const dynamoDb = shape.readUnits * p('dynamoDbOnDemandPerReadRequestUnit') + shape.writeUnits * p('dynamoDbOnDemandPerWriteRequestUnit');
  const sqs = shape.queueMessages * p('sqsStandardPerRequest');
  const standard = shape.transitions * p('stepFunctionsStandardPerTransition');
  // Express: per request, and per GB-second of the execution at 64 MB (the smallest chunk), in 100 ms steps.
  const express = p('stepFunctionsExpressPerRequest') + (64 / 1024) * (Math.ceil(shape.executionMs / 100) / 10) * p('stepFunctionsExpressPerGbSecond');
  const services = lambda + dynamoDb + sqs;
  const m = (x: number) => Math.round(x * MILLION * 100) / 100;
  return { stateMachine: { standard: m(standard), express: m(express) }, lambda: m(lambda), dynamoDb: m(dynamoDb), sqs: m(sqs), standard: m(standard + services), express: m(express + services) };
}

/** Our saga's shape from a bench row's usage: the stack's functions are arm64 with 256 MB. */
export function sagaShape(usage: UsagePerSaga, executionMs: number): SagaShape {
  return {
    transitions: usage.transitions,
    invocations: usage.invocations,
    msPerInvocation: usage.msPerInvocation,
    memoryMb: 256,
    architecture: 'arm64',
    readUnits: usage.readUnits,
    // DynamoDB Local counts a transactional write once; AWS bills it twice.
    writeUnits: usage.writeUnits + (usage.transactionalWriteUnits ?? 0),
    queueMessages: usage.queueMessages ?? 0,
    executionMs,
  };
}

/**
 * The public cdk-patterns saga ("the-saga-stepfunction"): one Lambda function per step, each writing one DynamoDB
 * item, 5 steps and 6 transitions on the happy path; its functions at Lambda's default 128 MB on x86, with our
 * measured duration per invocation.
 */
export function cdkPatternsShape(msPerInvocation: number, executionMs: number): SagaShape {
  return { transitions: 6, invocations: 5, msPerInvocation, memoryMb: 128, architecture: 'x86_64', readUnits: 0, writeUnits: 5, queueMessages: 0, executionMs };
}

const usd = (x: number) => `$${x.toFixed(2)}`;

/**
 * The cost table of a bench result: our saga on its happy path, on the bench's mixed workload, and on a realistic
 * mix (90 % happy, 10 % the mixed workload's outcomes), beside the cdk-patterns shape, per million orders.
 * Usage is read at concurrency 1, where each figure is least disturbed by queueing.
 */
export function costTable(result: BenchResult, list: PriceList = loadPrices()): string {
  const first = result.rows[0]?.isolation;
  const at = (workload: string) => result.rows.filter((r) => r.workload === workload && r.isolation === first).sort((a, b) => a.concurrency - b.concurrency)[0];
  const happy = at('happy');
  const mixed = at('mixed');
  if (!happy) return '';
  const happyCost = costPerMillion(sagaShape(happy.usage, happy.saga.p50Ms), list);
  const rows: [string, Cost, number][] = [['our saga, happy path', happyCost, happy.usage.invocations]];
  if (mixed) {
    const mixedCost = costPerMillion(sagaShape(mixed.usage, mixed.saga.p50Ms), list);
    rows.push(['our saga, the mixed workload (40 % with faults)', mixedCost, mixed.usage.invocations]);
    const blend = (a: number, b: number) => Math.round((0.9 * a + 0.1 * b) * 100) / 100;
    rows.push([
      'our saga, realistic mix (90 % happy, 10 % mixed)',
      {
        stateMachine: { standard: blend(happyCost.stateMachine.standard, mixedCost.stateMachine.standard), express: blend(happyCost.stateMachine.express, mixedCost.stateMachine.express) },
        lambda: blend(happyCost.lambda, mixedCost.lambda),
        dynamoDb: blend(happyCost.dynamoDb, mixedCost.dynamoDb),
        sqs: blend(happyCost.sqs, mixedCost.sqs),
        standard: blend(happyCost.standard, mixedCost.standard),
        express: blend(happyCost.express, mixedCost.express),
      },
      0.9 * happy.usage.invocations + 0.1 * mixed.usage.invocations,
    ]);
  }
  rows.push(['cdk-patterns saga shape, happy path', costPerMillion(cdkPatternsShape(happy.usage.msPerInvocation, happy.saga.p50Ms), list), 5]);
  const lines = [
    `| per million orders (${list.region}, list prices of ${list.recorded}) | Step Functions Standard | Express | Lambda | DynamoDB | SQS | total, Standard | total, Express | Standard, per step |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ([label, c, steps]) =>
        `| ${label} | ${usd(c.stateMachine.standard)} | ${usd(c.stateMachine.express)} | ${usd(c.lambda)} | ${usd(c.dynamoDb)} | ${usd(c.sqs)} | ${usd(c.standard)} | ${usd(c.express)} | ${usd(c.standard / steps)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  const dir = path.join(__dirname, 'results');
  const file =
    process.argv[2] ??
    path.join(
      dir,
      readdirSync(dir)
        .filter((f) => /^\d{4}-.*\.json$/.test(f))
        .sort()
        .at(-1) ?? 'latest.json',
    );
  process.stdout.write(costTable(JSON.parse(readFileSync(file, 'utf8')) as BenchResult));
}
