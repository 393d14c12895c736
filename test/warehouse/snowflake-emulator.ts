import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { floeQueryTag, SnowflakeWarehouse } from '../../warehouse/snowflake.js';
import type { TableDescription } from '../../warehouse/table-description.js';
import { startFakesnow, type FakesnowServer } from '../fakesnow.js';

/**
 * Which account statements fakesnow 0.12.1 runs. It has no stored procedures, storage or API
 * integrations, or external functions; those statements are checked as golden SQL instead
 * (snowflake-ddl.test.ts) and the procedures' statements run directly through the adapter.
 */
export const runsOnFakesnow = (sql: string): boolean =>
  !/^create (or replace )?(procedure|storage integration|api integration|external function)/i.test(sql) && !/^create (if not exists )?(storage|api) integration/i.test(sql);

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
   * An empty database with the account's objects applied (stage on a fresh local raw root) and
   * a SnowflakeWarehouse on it. fakesnow rejects COPY's INCLUDE_METADATA, so file row numbers are off.
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
    const warehouse = await SnowflakeWarehouse.open(session, { fileRowNumbers: false });
    return { warehouse, session, rawRoot, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
  }

  /** Statements the server received, with the query tag sent with each. */
  statementsSeen(): Promise<{ sql: string; queryTag: string | null }[]> {
    return this.server.statementsSeen();
  }

  async stop(): Promise<void> {
    await this.parquetWriter.close();
    await this.server.stop();
  }
}
