import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SnowflakeConnectionSettings } from '../warehouse/snowflake-connection.js';
import { startLoopbackServer, VENV_BIN } from './loopback-server.js';

/**
 * fakesnow 0.12.1 behind the HTTP API the Node driver speaks: `test/fakesnow_server.py`. It answers
 * in Snowflake's JSON result format (fakesnow answers in Arrow, which the Node driver cannot read),
 * and teaches fakesnow the documented Snowflake behaviours floe's statements need and fakesnow
 * lacks, each listed and cited there (ALTER SESSION's time zone and timeouts, BINARY(n), COPY's
 * INCLUDE_METADATA and LOAD_UNCERTAIN_FILES, an external stage on S3 (from `s3Endpoint`), MERGE
 * inside a transaction, PUT to an internal stage, floe check's TRANSFORM over an ARRAY, hexadecimal
 * formats, TIME formats and RTRIM's characters;
 * CREATE PROCEDURE is kept, not created). Statements are still parsed and run by fakesnow;
 * `floe snowflake verify` runs every taught statement on a real account.
 */
const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'fakesnow_server.py');

/** One statement as the server received it: its text and the statement parameters the driver sent. */
export interface SeenStatement {
  readonly sql: string;
  readonly queryTag: string | null;
  readonly parameters: Record<string, unknown>;
}

/** A fakesnow server of this test file's own, on a free loopback port. */
export interface FakesnowServer {
  /** Connection settings for `SnowflakeSession.open`: loopback, plain HTTP, dummy password. */
  settings(database: string): SnowflakeConnectionSettings;
  /** Every statement the server received so far, with the query tag and parameters the driver sent with it. */
  statementsSeen(): Promise<SeenStatement[]>;
  /** The bodies of the abort requests the driver sent (a statement it cancelled). */
  abortsSeen(): Promise<Record<string, unknown>[]>;
  /** The CREATE PROCEDURE statements received (kept, not created: fakesnow has no procedures). */
  proceduresSeen(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts fakesnow on 127.0.0.1 and resolves once it accepts a login. Each test file starts its
 * own; every server keeps its databases in memory, so files never share tables.
 */
export async function startFakesnow(options: { s3Endpoint?: string } = {}): Promise<FakesnowServer> {
  const server = await startLoopbackServer({
    // An external stage on s3:// reads its objects from this endpoint (a moto server).
    ...(options.s3Endpoint === undefined ? {} : { env: { FLOE_TEST_S3_ENDPOINT: options.s3Endpoint } }),
    name: 'fakesnow',
    command: join(VENV_BIN, 'python'),
    args: (port) => [SERVER, '127.0.0.1', String(port)],
    isUp: async (port) =>
      (await fetch(`http://127.0.0.1:${port}/session/v1/login-request`, { method: 'POST', body: JSON.stringify({ data: { SESSION_PARAMETERS: {} } }) })).ok,
    timeoutMs: 30_000,
  });
  const { port } = server;
  return {
    settings: (database) => ({
      account: 'floe-test',
      username: 'floe',
      database,
      credentials: { password: 'fakesnow-accepts-any' },
      endpoint: { host: '127.0.0.1', port, protocol: 'http' },
    }),
    statementsSeen: async () => (await (await fetch(`http://127.0.0.1:${port}/floe-test/statements`)).json()) as SeenStatement[],
    abortsSeen: async () => (await (await fetch(`http://127.0.0.1:${port}/floe-test/aborts`)).json()) as Record<string, unknown>[],
    proceduresSeen: async () => (await (await fetch(`http://127.0.0.1:${port}/floe-test/procedures`)).json()) as string[],
    stop: () => server.stop(),
  };
}

/**
 * What a `snowflake://floe-test/<database>?user=floe` config needs to reach this server as a user's
 * machine reaches its account: the endpoint, and a password (fakesnow accepts any).
 */
export function floeEnvironmentFor(server: FakesnowServer): Record<string, string> {
  const endpoint = server.settings('any').endpoint;
  return { FLOE_SNOWFLAKE_ENDPOINT: `http://${endpoint?.host ?? ''}:${endpoint?.port ?? 0}`, FLOE_SNOWFLAKE_PASSWORD: 'fakesnow-accepts-any' };
}
