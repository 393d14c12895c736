import mysql from 'mysql2/promise';
import pg from 'pg';

import type { SourceConfig } from '../config/index.js';
import type { CheckDialect } from './canonical-sql.js';
import type { CheckSide } from './compare.js';
import { CheckError } from './check-error.js';

/** A source database `floe check` reads, and how to let it go. */
export interface SourceSide extends CheckSide {
  readonly dialect: CheckDialect;
  close(): Promise<void>;
}

/**
 * Connects to the source with its configured URL (secrets never printed: errors name the source,
 * not the URL). The session reads one snapshot in a read-only transaction, and every value goes
 * to the server as a bound parameter, never spliced into the SQL text.
 */
export async function openSourceSide(source: SourceConfig): Promise<SourceSide> {
  if (source.connection.startsWith('secretsmanager:')) {
    throw new CheckError(`source ${source.name}: floe check reads the source directly and needs a connection URL, not ${source.connection.split(':')[0]}:`);
  }
  try {
    if (source.engine === 'postgres') {
      const client = new pg.Client({ connectionString: source.connection });
      await client.connect();
      const version = Number((await client.query('show server_version_num')).rows[0]?.server_version_num);
      if (version < 130000) {
        await client.end();
        throw new CheckError(`source ${source.name}: floe check needs PostgreSQL 13 or newer (trim_scale); this server is ${Math.floor(version / 10000)}`);
      }
      // Values are compared as this session prints them (see canonical-sql.ts). The digests hash
      // every row once: JIT compilation costs more than it saves, and the grouping should stay in
      // memory. All are settings of this session only.
      await client.query("set timezone = 'UTC'; set datestyle = 'ISO, YMD'; set extra_float_digits = 1; set bytea_output = 'hex'; set jit = off; set work_mem = '64MB'");
      // One snapshot for every round, so rows committed meanwhile cannot look like drift.
      await client.query('begin transaction isolation level repeatable read, read only');
      return {
        dialect: 'postgres',
        query: async ({ sql, params }) => (await client.query(sql, [...params])).rows as Record<string, unknown>[],
        close: () => client.end(),
      };
    }
    return await openMysql(source.connection);
  } catch (error) {
    if (error instanceof CheckError) throw error;
    // The driver's message may quote the URL; keep only its code.
    const code = (error as { code?: unknown }).code;
    throw new CheckError(`source ${source.name}: could not connect to ${source.engine}${typeof code === 'string' ? ` (${code})` : ''}; check the connection and that the server is up`, { cause: error });
  }
}

/**
 * A MySQL/MariaDB check session. It runs in UTC, so TIMESTAMP values read as the extraction read
 * them. Values travel as parameters of server-side prepared statements: a client-side escape
 * (mysql2's `query()`) uses backslashes whatever the server's SQL mode, so under
 * `NO_BACKSLASH_ESCAPES` a key holding `'` would end its string literal. Each statement is closed
 * once read: a check holds none on the server (whose `max_prepared_stmt_count` its applications
 * share). One consistent snapshot, read only, for every round, as the extraction job reads.
 */
async function openMysql(connection: string): Promise<SourceSide> {
  const session = await mysql.createConnection({ uri: connection.replace(/^mariadb:/, 'mysql:'), connectTimeout: 10_000 });
  try {
    await session.query("set time_zone = '+00:00'");
    // The session's default too: a statement that ended the transaction would still not write.
    await session.query('set session transaction isolation level repeatable read, read only');
    await session.query('start transaction with consistent snapshot, read only');
  } catch (error) {
    await session.end().catch(() => undefined);
    throw error;
  }
  return {
    dialect: 'mysql',
    query: async ({ sql, params }) => {
      try {
        return (await session.execute(sql, [...params]))[0] as Record<string, unknown>[];
      } finally {
        session.unprepare(sql);
      }
    },
    close: () => session.end(),
  };
}
