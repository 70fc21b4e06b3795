import type { HistoryEvent } from '../execution-path';

/** The page's only ways out: the server's Step Functions API (AWS JSON 1.0, same origin) and its read-only endpoint. */

/** An error answered by the Step Functions API: AWS's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** Calls a Step Functions operation (`StartExecution`, …) on the server the page came from. */
export async function sfn<T>(operation: string, body: Record<string, unknown>): Promise<T> {
  const response = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${operation}` },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const code = typeof answer.__type === 'string' ? answer.__type.split('#').pop()! : 'Error';
    throw new ApiError(code, typeof answer.message === 'string' ? answer.message : response.statusText);
  }
  return answer as T;
}

/** Reads (GET) or posts JSON to a path of the server's read-only endpoint or repair routes. */
export async function json<T>(path: string, post?: unknown): Promise<T> {
  const response = await fetch(path, post === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(post) });
  const answer = (await response.json()) as T & { message?: string; error?: string };
  if (!response.ok) throw new ApiError(answer.error ?? String(response.status), answer.message ?? response.statusText);
  return answer;
}

export interface ExecutionListItem {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: number;
  readonly stopDate?: number;
}

export interface ExecutionDescription extends ExecutionListItem {
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export type { HistoryEvent } from '../execution-path';

/** Every event of an execution's history, all pages. */
export async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn<{ events: HistoryEvent[]; nextToken?: string }>('GetExecutionHistory', { executionArn, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}
