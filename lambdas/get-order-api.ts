import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { json } from './api-response';
import { getOrderQuery } from './domain/orders-api';
import { OrderNotFound } from './errors';
import { logger } from './handler';
import { serviceStoreFromEnv } from './services';

const orders = serviceStoreFromEnv();

/** `GET /orders/{orderId}` (API Gateway proxy integration): the order as stored, or 404. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  logger.resetKeys();
  const orderId = event.pathParameters?.orderId ?? '';
  logger.appendKeys({ orderId });
  try {
    return json(200, await getOrderQuery(orderId, orders));
  } catch (err: unknown) {
    if (err instanceof OrderNotFound) return json(404, { error: err.name, orderId: err.orderId, message: err.message });
    throw err;
  }
};
