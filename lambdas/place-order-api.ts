import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { json } from './api-response';
import { InvalidCommand, parseCommand, placeOrderCommand } from './domain/orders-api';
import { requireEnv } from './env';
import { OrderConflict } from './errors';
import { logger } from './handler';
import { serviceStoreFromEnv } from './services';

const deps = { orders: serviceStoreFromEnv(), sfn: new SFNClient({}), stateMachineArn: requireEnv('STATE_MACHINE_ARN') };

/**
 * `POST /orders` (API Gateway proxy integration): 202 with the order's URL once its saga is started or was already
 * accepted with this content; 400 naming the bad field; 409 when the order id is taken by other content.
 */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  logger.resetKeys();
  try {
    const command = parseCommand(event.body);
    logger.appendKeys({ orderId: command.orderId });
    const accepted = await placeOrderCommand(command, deps);
    logger.info('order accepted', { outcome: accepted.outcome });
    // The same answer whether this request started the saga or found it: a retried POST cannot tell them apart.
    const href = `${event.requestContext.path.replace(/\/$/, '')}/${encodeURIComponent(command.orderId)}`;
    return json(202, { orderId: command.orderId, status: 'ACCEPTED', href }, { Location: href });
  } catch (err: unknown) {
    if (err instanceof InvalidCommand) return json(400, { error: err.name, ...(err.field ? { field: err.field } : {}), message: err.message });
    if (err instanceof OrderConflict) return json(409, { error: err.name, orderId: err.orderId, message: err.message });
    throw err;
  }
};
