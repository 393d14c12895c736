import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { floeQueryTag, SnowflakeWarehouse } from '../../warehouse/snowflake.js';
import type { TableDescription } from '../../warehouse/table-description.js';
import { startFakesnow, type FakesnowServer, type SeenStatement } from '../fakesnow.js';

/**
 * Which account statements fakesnow 0.12.1 runs. It has no storage or API integrations, grants,
 * ALTER FILE FORMAT, ALTER STAGE or external functions: those statements are checked as golden SQL
 * (snowflake-sql.test.ts) and run on a real account by `floe snowflake verify`. CREATE PROCEDURE is
 * kept by the test server (test/fakesnow_server.py), not created; the procedures' statements run
 * directly through the adapter (snowflake-procedure.test.ts).
 */
export const runsOnFakesnow = (sql: string): boolean =>
  !/^create (or (replace|alter) )?(storage integration|api integration|external function)/i.test(sql) &&
  !/^create (storage|api) integration if not exists/i.test(sql) &&
  !/^(grant|alter file format|alter stage|use role)\b/i.test(sql);

/** A fakesnow server, a scratch DuckDB that writes the Parquet files, and a fresh database per test. */
export class SnowflakeEmulator {
  private databases = 0;

  private constructor(
    private readonly server: FakesnowServer,
    readonly parquetWriter: DuckDbWarehouse,
  ) {}

  static async start(): Promise<SnowflakeEmulator> {
    return new SnowflakeEmulator(await startFakesnow(), await DuckDbWarehouse.open(':memory:'));
  }

  /**
   * An empty database with the account's objects applied and a SnowflakeWarehouse on it, the
   * production driver unchanged. Raw files are written under a fresh local raw root, which the
   * driver PUTs into the internal stage, as `floe run` does.
   */
  async freshWarehouse(descriptions: readonly TableDescription[] = []): Promise<{ warehouse: SnowflakeWarehouse; session: SnowflakeSession; rawRoot: string; cleanUp: () => void }> {
    this.databases += 1;
    const database = `FLOE_TEST_${this.databases}`;
    const dir = mkdtempSync(join(tmpdir(), 'floe-snowflake-'));
    const rawRoot = join(dir, 'raw');
    const session = await SnowflakeSession.open(this.server.settings(database));
    for (const statement of snowflakeAccountDdl({ database, rawUrl: pathToFileURL(rawRoot).href }, descriptions)) {
      if (runsOnFakesnow(statement.sql)) await session.run({ sql: statement.sql, params: [] }, floeQueryTag('apply'));
    }
    const warehouse = await SnowflakeWarehouse.open(session);
    return { warehouse, session, rawRoot, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
  }

  /** Statements the server received, with the query tag sent with each. */
  statementsSeen(): Promise<SeenStatement[]> {
    return this.server.statementsSeen();
  }

  /** The CREATE PROCEDURE statements the server kept. */
  proceduresSeen(): Promise<string[]> {
    return this.server.proceduresSeen();
  }

  /** Abort requests the driver sent. */
  abortsSeen(): Promise<Record<string, unknown>[]> {
    return this.server.abortsSeen();
  }

  /** Connection settings for another session on the same server. */
  settings(database: string): ReturnType<FakesnowServer['settings']> {
    return this.server.settings(database);
  }

  async stop(): Promise<void> {
    await this.parquetWriter.close();
    await this.server.stop();
  }
}
