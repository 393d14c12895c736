import mysql from 'mysql2/promise';
import pg from 'pg';

import { openSourceSide, type SourceSide } from '../../check/source-side.js';
import { SourceConfigSchema, type Engine } from '../../config/index.js';
import { restoreGlobalSqlMode, withGlobalSqlMode } from './server-sql-mode.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const TABLE = `floe_source_side_${process.pid}`;
/** MySQL's tables live in a database of their own, not in the server's `mysql` schema. */
const MYSQL_DATABASE = 'floe_source_side_test';

/** Values a client-side escape gets wrong under one SQL mode or another. */
const HOSTILE = ["'", '\\', "\\'", '"', '`', "''", '\\\\', "x'); drop table canary; -- ", '\u0000', 'é 🍵'];

/** A test connection of its own, beside floe's session. */
interface Other {
  run(sql: string): Promise<void>;
  end(): Promise<void>;
}

const ENGINES: { engine: Engine; url: string; open: () => Promise<Other> }[] = [
  {
    engine: 'postgres', url: PG_URL, open: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      return { run: async (sql) => void (await client.query(sql)), end: () => client.end() };
    },
  },
  {
    engine: 'mysql', url: MYSQL_URL.replace(/\/mysql$/, `/${MYSQL_DATABASE}`), open: async () => {
      const connection = await mysql.createConnection(MYSQL_URL);
      await connection.query(`create database if not exists ${MYSQL_DATABASE}`);
      await connection.query(`use ${MYSQL_DATABASE}`);
      return {
        run: async (sql) => void (await connection.query(sql)),
        end: async () => {
          await connection.query(`drop database if exists ${MYSQL_DATABASE}`);
          await connection.end();
        },
      };
    },
  },
];

const open = (engine: Engine, url: string): Promise<SourceSide> =>
  openSourceSide(SourceConfigSchema.parse({ name: 'src', engine, connection: url, tables: [{ name: TABLE, primaryKey: ['id'] }] }));

describe.each(ENGINES)('Check: the $engine source session', ({ engine, url, open: openOther }) => {
  let other: Other;

  beforeAll(async () => {
    other = await openOther();
    await other.run(`drop table if exists ${TABLE}`);
    await other.run(`create table ${TABLE} (id integer primary key)`);
    await other.run(`insert into ${TABLE} values (1), (2)`);
  });

  afterAll(async () => {
    await restoreGlobalSqlMode();
    await other?.run(`drop table if exists ${TABLE}`);
    await other?.end();
  });

  it('reads one snapshot in every round: rows committed after it opened are not seen', async () => {
    // Prepare
    const side = await open(engine, url);
    try {
      const before = await side.query({ sql: `select count(*) as n from ${TABLE}`, params: [] });

      // Act
      await other.run(`insert into ${TABLE} values (3)`);
      const after = await side.query({ sql: `select count(*) as n from ${TABLE}`, params: [] });

      // Assess
      expect(Number(after[0]?.['n'])).toBe(Number(before[0]?.['n']));
    } finally {
      await side.close();
      await other.run(`delete from ${TABLE} where id = 3`);
    }
  });

  it('refuses to write', async () => {
    // Prepare
    const side = await open(engine, url);
    try {
      // Act
      const write = side.query({ sql: `delete from ${TABLE}`, params: [] });

      // Assess
      await expect(write).rejects.toThrow(/read.only/i);
    } finally {
      await side.close();
    }
    const reader = await open(engine, url);
    try {
      expect(Number((await reader.query({ sql: `select count(*) as n from ${TABLE}`, params: [] }))[0]?.['n'])).toBe(2);
    } finally {
      await reader.close();
    }
  });

  it('sends every value as it is, whatever the server\'s SQL mode: quotes, backslashes, NUL', async () => {
    // Prepare
    const roundTrip = async () => {
      const side = await open(engine, url);
      try {
        const read: unknown[] = [];
        for (const value of HOSTILE.filter((v) => engine !== 'postgres' || v !== '\u0000')) {
          const sql = engine === 'postgres' ? 'select $1::text as v' : 'select ? as v';
          read.push((await side.query({ sql, params: [value] }))[0]?.['v']);
        }
        return read;
      } finally {
        await side.close();
      }
    };

    // Act
    const plain = await roundTrip();
    const noBackslashEscapes = engine === 'mysql' ? await withGlobalSqlMode(MYSQL_URL, 'NO_BACKSLASH_ESCAPES', roundTrip) : plain;

    // Assess: PostgreSQL text holds no NUL
    const expected = HOSTILE.filter((value) => engine !== 'postgres' || value !== '\u0000');
    expect(plain).toEqual(expected);
    expect(noBackslashEscapes).toEqual(expected);
  });
});
