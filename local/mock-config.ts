import { readFileSync } from 'node:fs';

/**
 * Step Functions Local's mock configuration file (`SFN_MOCK_CONFIG`): test cases, selected by `#TestCase` on the
 * state machine ARN, whose mocked Task states return or throw configured responses by attempt number.
 */
export interface MockConfig {
  readonly StateMachines: Record<string, { readonly TestCases: Record<string, Record<string, string>> }>;
  readonly MockedResponses: Record<string, Record<string, MockedResponse>>;
}

export type MockedResponse = { readonly Return: unknown } | { readonly Throw: { readonly Error: string; readonly Cause?: string } };

/** Raised for a mock configuration that is malformed or refers to something that does not exist. */
export class MockConfigError extends Error {
  override readonly name = 'MockConfigError';
}

/** Reads and checks a mock configuration file. */
export function loadMockConfig(path: string): MockConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err: unknown) {
    throw new MockConfigError(`cannot read the mock configuration ${path}: ${(err as Error).message}`);
  }
  return validateMockConfig(parsed);
}

const ATTEMPTS = /^(\d+)(?:-(\d+))?$/;

/** Checks the shape: every test case names mocked responses that exist, every response key is `n` or `n-m`. */
export function validateMockConfig(value: unknown): MockConfig {
  const config = value as MockConfig;
  if (!config || typeof config !== 'object' || typeof config.StateMachines !== 'object' || typeof config.MockedResponses !== 'object') {
    throw new MockConfigError('a mock configuration needs "StateMachines" and "MockedResponses" objects');
  }
  for (const [machine, { TestCases }] of Object.entries(config.StateMachines)) {
    for (const [testCase, states] of Object.entries(TestCases ?? {})) {
      for (const [state, response] of Object.entries(states)) {
        if (!config.MockedResponses[response]) {
          throw new MockConfigError(`${machine}#${testCase}: state ${state} uses mocked response ${response}, which is not defined`);
        }
      }
    }
  }
  for (const [name, byAttempt] of Object.entries(config.MockedResponses)) {
    for (const [attempts, response] of Object.entries(byAttempt)) {
      if (!ATTEMPTS.test(attempts)) throw new MockConfigError(`mocked response ${name}: "${attempts}" is not an attempt number or range like "1-2"`);
      if (!('Return' in response) && !('Throw' in response)) throw new MockConfigError(`mocked response ${name}["${attempts}"] needs Return or Throw`);
    }
  }
  return config;
}

/** The mocked responses of one test case, by state name; undefined when the state runs for real. */
export function testCaseMocks(config: MockConfig, stateMachineName: string, testCase: string): Record<string, Record<string, MockedResponse>> {
  const cases = config.StateMachines[stateMachineName]?.TestCases;
  const states = cases?.[testCase];
  if (!states) {
    throw new MockConfigError(`no test case ${testCase} for state machine ${stateMachineName} in the mock configuration (it has: ${Object.keys(cases ?? {}).join(', ') || 'none'})`);
  }
  return Object.fromEntries(Object.entries(states).map(([state, response]) => [state, config.MockedResponses[response]]));
}

/** The response for a zero-based attempt: an exact key, or the range that holds it; the last one once past them all. */
export function responseFor(byAttempt: Record<string, MockedResponse>, attempt: number): MockedResponse {
  let last: { end: number; response: MockedResponse } | undefined;
  for (const [key, response] of Object.entries(byAttempt)) {
    const [, from, to] = ATTEMPTS.exec(key)!;
    const start = Number(from);
    const end = to === undefined ? start : Number(to);
    if (attempt >= start && attempt <= end) return response;
    if (!last || end > last.end) last = { end, response };
  }
  return last!.response;
}
