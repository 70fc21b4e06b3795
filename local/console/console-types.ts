/**
 * What the console's read-only endpoint answers: shared by the server (`console-routes.ts`) and the page
 * (`page/`), which imports nothing else from the runtime.
 */

/** The console's paths on the Step Functions API's server. */
export const ConsolePaths = {
  page: '/',
  script: '/console/app.js',
  style: '/console/app.css',
  overview: '/console/api/overview',
  tables: '/console/api/tables',
  events: '/console/api/events',
  validate: '/console/api/validate',
} as const;

/** `GET /console/api/overview`: what the page shows and offers. */
export interface ConsoleOverview {
  readonly stateMachines: readonly { readonly arn: string; readonly name: string }[];
  /** The state machine the start form starts (the stack's saga). */
  readonly defaultStateMachine: string;
  readonly tables: readonly string[];
  readonly examples: Readonly<Record<string, unknown>>;
  readonly faults?: { readonly field: string; readonly steps: readonly string[]; readonly errors: readonly string[] };
  /** Whether the server has integration events to show. */
  readonly events: boolean;
  readonly ordersApi?: { readonly endpoint: string; readonly placeOrderPath: string };
  readonly repair?: { readonly list: string; readonly repair: string };
}

/** One table as `GET /console/api/tables` shows it. */
export interface ConsoleTable {
  readonly name: string;
  readonly keys: readonly string[];
  /** Items in the table. */
  readonly count: number;
  /** The first items (at most the console's limit). */
  readonly items: readonly Record<string, unknown>[];
}
