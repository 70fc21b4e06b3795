import type { APIGatewayProxyResult } from 'aws-lambda';

/** A JSON answer of the Orders API. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
