import { ConfigurationError } from './errors';

/** Reads a required environment variable, failing loudly when the function is deployed without it. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`environment variable ${name} is not set`);
  }
  return value;
}

/** True when the stack was synthesized with fault injection enabled. */
export function faultInjectionEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FAULT_INJECTION === 'enabled';
}
