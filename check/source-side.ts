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
 * not the URL). MySQL's session runs in UTC so TIMESTAMP values read as the extraction read them.
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
    const connection = await mysql.createConnection({ uri: source.connection.replace(/^mariadb:/, 'mysql:'), connectTimeout: 10_000 });
    await connection.query("set time_zone = '+00:00'");
    return {
      dialect: 'mysql',
      query: async ({ sql, params }) => (await connection.query(sql, [...params]))[0] as Record<string, unknown>[],
      close: () => connection.end(),
    };
  } catch (error) {
    if (error instanceof CheckError) throw error;
    // The driver's message may quote the URL; keep only its code.
    const code = (error as { code?: unknown }).code;
    throw new CheckError(`source ${source.name}: could not connect to ${source.engine}${typeof code === 'string' ? ` (${code})` : ''}; check the connection and that the server is up`, { cause: error });
  }
}
