import { type CfnElement, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TaskFunction } from './task-function';

/** Properties of {@link OrdersApi}. */
export interface OrdersApiProps {
  /** The saga that `POST /orders` starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** The orders service's table: the authority on which orders exist, and what `GET /orders/{orderId}` reads. */
  readonly ordersTable: dynamodb.ITable;
  /**
   * How callers are authorized. `IAM` means SigV4-signed requests by principals allowed `execute-api:Invoke`.
   * @default apigateway.AuthorizationType.IAM
   */
  readonly authorizationType?: apigateway.AuthorizationType;
  /** Steady-state requests per second for the whole stage. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Burst of requests for the whole stage. @default 100 */
  readonly throttlingBurstLimit?: number;
  /** CORS for browsers on other origins. @default - none: no OPTIONS methods, no CORS headers */
  readonly cors?: apigateway.CorsOptions;
  /** @default 'prod' */
  readonly stageName?: string;
}

/**
 * The orders service's API, commands and queries apart: `POST /orders` starts the order's saga and answers 202
 * with the order's URL (idempotent: the same order again answers the same 202 and starts nothing; other content
 * for the same order id is a 409; a malformed command a 400 naming the field), and `GET /orders/{orderId}` answers
 * the order as the orders service stores it (PENDING, CONFIRMED, or CANCELLED with the failed step and reason), 404
 * when there is none.
 *
 * Each route is a small Lambda function (proxy integration) with only the permissions it needs; the README says
 * why rather than direct service integrations. IAM authorization, stage throttling, JSON access logs and X-Ray.
 *
 * @example
 * new OrdersApi(this, 'OrdersApi', { stateMachine: saga.stateMachine, ordersTable: orders });
 */
export class OrdersApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly placeOrderFunction: TaskFunction;
  public readonly getOrderFunction: TaskFunction;
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrdersApiProps) {
    super(scope, id);
    const rate = props.throttlingRateLimit ?? 50;
    const burst = props.throttlingBurstLimit ?? 100;
    if (!(rate > 0) || !(burst >= 1) || !Number.isInteger(burst)) {
      throw new Error(`OrdersApi ${id}: throttling needs a positive rate and a whole burst of at least 1, got rate ${rate}, burst ${burst}`);
    }

    this.placeOrderFunction = new TaskFunction(this, 'PlaceOrderFunction', {
      handler: 'place-order-api',
      environment: { TABLE_NAME: props.ordersTable.tableName, STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
    });
    props.ordersTable.grant(this.placeOrderFunction, 'dynamodb:GetItem');
    props.stateMachine.grantStartExecution(this.placeOrderFunction);
    props.stateMachine.grantExecution(this.placeOrderFunction, 'states:DescribeExecution');
    // cdk-nag names the resource as synthesized: a partition, region or account known at synth time appears as
    // itself (cdk.json's enablePartitionLiterals writes `arn:aws:` or `arn:aws-cn:` once the region is known).
    const stack = Stack.of(this);
    const known = (value: string, token: string) => (Token.isUnresolved(value) ? token : value);
    Validations.of(this.placeOrderFunction.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${known(stack.partition, '<AWS::Partition>')}:states:${known(stack.region, '<AWS::Region>')}:${known(stack.account, '<AWS::AccountId>')}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(props.stateMachine.node.defaultChild as CfnElement)}"}]}]}:*]`,
      reason: "DescribeExecution on this saga's executions only: their names (the order ids) are not known in advance.",
    });

    this.getOrderFunction = new TaskFunction(this, 'GetOrderFunction', {
      handler: 'get-order-api',
      environment: { TABLE_NAME: props.ordersTable.tableName },
    });
    props.ordersTable.grant(this.getOrderFunction, 'dynamodb:GetItem');

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'Orders: POST /orders (command, 202), GET /orders/{orderId} (query)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // API Gateway's account-wide CloudWatch role carries a managed policy; access logs need no role.
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        tracingEnabled: true,
      },
      defaultMethodOptions: { authorizationType: props.authorizationType ?? apigateway.AuthorizationType.IAM },
      ...(props.cors ? { defaultCorsPreflightOptions: props.cors } : {}),
    });
    const orders = this.api.root.addResource('orders');
    orders.addMethod('POST', new apigateway.LambdaIntegration(this.placeOrderFunction));
    orders.addResource('{orderId}').addMethod('GET', new apigateway.LambdaIntegration(this.getOrderFunction));

    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-APIG2', reason: "The command is validated by the front function with the saga's own schema (one source of truth), which names the bad field." },
      { id: 'AwsSolutions-APIG3', reason: 'A WAF web ACL is an account-level choice; the stage is throttled and IAM-authorized.' },
      { id: 'AwsSolutions-APIG6', reason: "Execution logs need API Gateway's account-wide CloudWatch role (a managed policy); every request is in the access logs." },
      { id: 'AwsSolutions-COG4', reason: 'Callers are AWS principals authorized by IAM (SigV4), not Cognito users.' },
    );
  }
}
