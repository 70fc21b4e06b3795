import type { IncomingMessage } from 'node:http';

/**
 * Reading a request's body with a cap, as AWS's front ends do: a request larger than the cap is refused before it is
 * buffered, from its `Content-Length` when it declares one, else as soon as the bytes received pass the cap.
 */

/**
 * The most any of our servers reads of a request: 2 MiB. The largest request of the APIs served is a `StartExecution`
 * whose input is at its 256 KiB limit, sent as a JSON string (its quotes and backslashes escaped): well under this.
 */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

/** A request body larger than the server reads (HTTP 413, AWS's `RequestEntityTooLargeException`). */
export class RequestEntityTooLargeError extends Error {
  override readonly name = 'RequestEntityTooLargeException';
  readonly status = 413;
  constructor(
    readonly limit: number,
    received: number,
    declared: boolean,
  ) {
    super(`Request Entity Too Large: the request body ${declared ? 'declares' : 'passed'} ${received} bytes; the limit is ${limit} bytes`);
  }
}

/**
 * The request's body, read whole, unless it is larger than `limit` bytes.
 * @throws RequestEntityTooLargeError before reading any of it when `Content-Length` says it is too large, or as soon
 *   as what was received passes the limit; the rest of the request is not read (answer, then close the connection).
 */
export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new RequestEntityTooLargeError(limit, declared, true);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    received += (chunk as Buffer).length;
    if (received > limit) throw new RequestEntityTooLargeError(limit, received, false);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
