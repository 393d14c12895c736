import { ConfigError } from '../../config/index.js';
import { LEASE_TTL_MS } from '../../pipeline/index.js';

/** Shortens the table lease of local runs, so a crash test can watch a dead run's lease expire. */
export const LEASE_TTL_VARIABLE = 'FLOE_LEASE_TTL_SECONDS';

/** How long a local run's table lease lasts: the core's {@link LEASE_TTL_MS}, or {@link LEASE_TTL_VARIABLE} seconds when set. */
export function leaseTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[LEASE_TTL_VARIABLE];
  if (text === undefined || text === '') return LEASE_TTL_MS;
  if (!/^[1-9][0-9]*$/.test(text)) {
    throw new ConfigError(`${LEASE_TTL_VARIABLE} must be a whole number of seconds above 0, got ${JSON.stringify(text)}`);
  }
  return Number(text) * 1000;
}
