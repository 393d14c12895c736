import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { SourceConfig } from '../../config/index.js';
import { discoverMysql } from '../../discover/mysql.js';
import { discoverPostgres } from '../../discover/postgres.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { warehouseTableName } from '../../config/warehouse-table-name.js';
import { quoteIdentifier } from '../../warehouse/quote.js';
import { floe, type FloeResult } from '../faults/project.js';
import { MYSQL_URL, PG_URL } from '../faults/source-table.js';

/**
 * Hostile names from the source to gold: schemas, tables and columns with quotes, backticks,
 * semicolons, spaces, unicode, reserved words, SQL-shaped text and a '.' inside the table name.
 * `floe run` takes them to staging unchanged, `floe check` compares them, and the canary tables
 * the injection-shaped names aim at survive in both sources and in the warehouse.
 */

const INJECTION = 'x"; drop table canary; --';
/** A '.' inside the table: `schema.table` is split at the first '.' everywhere. */
const TABLE = `order.${INJECTION}`;
const KEY = 'key "id"';
const INCREMENTAL = 'order';
/** Text columns besides the key, the incremental column and the decimal `group`. */
const PG_TEXT = ['select', 'user', 'Größe 📦', "it's", 'back`tick', 'semi;colon', INJECTION, 't%s', 'a?b', '$1', 'sp ace', 'a\\b'];
/** MariaDB: no characters outside the BMP in names, and the driver cannot take '%s' in one (see the refusal below). */
const MYSQL_TEXT = ['select', 'user', 'Größe ✓', "it's", 'back`tick', 'semi;colon', INJECTION, 't%', 'a?b', '$1', 'sp ace', 'a\\b'];
const PG_SCHEMA = `we"ird sch'ema ${process.pid}`;
const MYSQL_DATABASE = `we"ird db'x ${process.pid}`;
/** The tables as the config names them. */
const CONFIGURED = { pg: `${PG_SCHEMA}.${TABLE}`, my: `${MYSQL_DATABASE}.${TABLE}` } as const;

const pgq = (name: string): string => quoteIdentifier(name);
const myq = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
/** YAML double-quoted scalar; `$` doubled for floe's `${VAR}` substitution. */
const yaml = (value: string): string => JSON.stringify(value.replaceAll('$', '$$'));

const ROWS: [number, string | null, string | null, string][] = [
  // key, text value (all text columns, suffixed), group, order
  [1, 'a"; drop table canary; --', '1.50', '2025-01-01 00:00:00.000001'],
  [2, null, '2.25', '2025-01-02 00:00:00'],
  [3, "ünïcødé ' ` 📦", null, '2025-01-03 12:34:56.5'],
];

interface Source {
  readonly name: string;
  readonly text: readonly string[];
  /** Every row, every column as text, key order, as the source holds it. */
  rows(): Promise<string[][]>;
  /** Whether the canary table is still there with its one row. */
  canaryAlive(): Promise<boolean>;
}

async function stagingRows(warehouseFile: string, source: 'pg' | 'my', text: readonly string[]): Promise<string[][]> {
  const warehouse = await DuckDbWarehouse.open(warehouseFile);
  try {
    const columns = [`cast(${pgq(KEY)} as varchar)`, `cast(${pgq('group')} as varchar)`, `cast(epoch_us(${pgq(INCREMENTAL)}) as varchar)`, ...text.map(pgq)];
    const rows = await warehouse.query(
      `select ${columns.map((column, index) => `${column} as c${index}`).join(', ')} from staging.${pgq(warehouseTableName(source, CONFIGURED[source]))} order by ${pgq(KEY)}`,
    );
    return rows.map((row) => columns.map((_column, index) => (row[`c${index}`] === null ? null : String(row[`c${index}`]))) as string[]);
  } finally {
    await warehouse.close();
  }
}

describe('floe run: hostile schema, table and column names', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let my: mysql.Connection;
  let folder: string;
  let warehouseFile: string;
  let run: FloeResult;
  let check: FloeResult;
  let sources: Source[];

  beforeAll(async () => {
    // Prepare: the PostgreSQL table, its canaries (public.canary, and one in its own schema)
    await client.connect();
    const pgTable = `${pgq(PG_SCHEMA)}.${pgq(TABLE)}`;
    await client.query(`drop schema if exists ${pgq(PG_SCHEMA)} cascade; create schema ${pgq(PG_SCHEMA)}`);
    await client.query(`create table if not exists public.canary (id int); insert into public.canary select 42 where not exists (select from public.canary)`);
    await client.query(`create table ${pgq(PG_SCHEMA)}.canary (id int); insert into ${pgq(PG_SCHEMA)}.canary values (42)`);
    await client.query(
      `create table ${pgTable} (${pgq(KEY)} int primary key, ${pgq('group')} numeric(10,2), ${pgq(INCREMENTAL)} timestamptz, ${PG_TEXT.map((c) => `${pgq(c)} text`).join(', ')})`,
    );
    for (const [key, value, group, order] of ROWS) {
      const values = PG_TEXT.map((_c, i) => (value === null ? null : `${value} ${i}`));
      await client.query(`insert into ${pgTable} values ($1, $2, $3, ${PG_TEXT.map((_c, i) => `$${i + 4}`).join(', ')})`, [key, group, `${order}+00`, ...values]);
    }
    // The MariaDB database (the connection's default, where an injected `drop table canary` would land) and its canary
    my = await mysql.createConnection({ uri: MYSQL_URL, charset: 'utf8mb4' });
    await my.query(`drop database if exists ${myq(MYSQL_DATABASE)}`);
    await my.query(`create database ${myq(MYSQL_DATABASE)} character set utf8mb4`);
    await my.query(`create table ${myq(MYSQL_DATABASE)}.canary (id int)`);
    await my.query(`insert into ${myq(MYSQL_DATABASE)}.canary values (42)`);
    const myTable = `${myq(MYSQL_DATABASE)}.${myq(TABLE)}`;
    await my.query(
      `create table ${myTable} (${myq(KEY)} int primary key, ${myq('group')} decimal(10,2), ${myq(INCREMENTAL)} datetime(6), ${MYSQL_TEXT.map((c) => `${myq(c)} text`).join(', ')})`,
    );
    for (const [key, value, group, order] of ROWS) {
      const values = MYSQL_TEXT.map((_c, i) => (value === null ? null : `${value} ${i}`));
      await my.query(`insert into ${myTable} values (?, ?, ?, ${MYSQL_TEXT.map(() => '?').join(', ')})`, [key, group, order, ...values]);
    }

    sources = [
      {
        name: 'pg',
        text: PG_TEXT,
        rows: async () => {
          const columns = [`${pgq(KEY)}::text`, `${pgq('group')}::text`, `(extract(epoch from ${pgq(INCREMENTAL)}) * 1000000)::bigint::text`, ...PG_TEXT.map(pgq)];
          const result = await client.query({ text: `select ${columns.join(', ')} from ${pgTable} order by ${pgq(KEY)}`, rowMode: 'array' });
          return result.rows as string[][];
        },
        canaryAlive: async () =>
          (await client.query(`select (select count(*) from public.canary) + (select count(*) from ${pgq(PG_SCHEMA)}.canary) as n`)).rows[0].n === '2',
      },
      {
        name: 'my',
        text: MYSQL_TEXT,
        rows: async () => {
          const columns = [`cast(${myq(KEY)} as char)`, `cast(${myq('group')} as char)`, `cast(timestampdiff(microsecond, '1970-01-01', ${myq(INCREMENTAL)}) as char)`, ...MYSQL_TEXT.map(myq)];
          const [rows] = await my.query({ sql: `select ${columns.join(', ')} from ${myTable} order by ${myq(KEY)}`, rowsAsArray: true });
          return rows as string[][];
        },
        canaryAlive: async () => {
          const [rows] = await my.query(`select count(*) as n from ${myq(MYSQL_DATABASE)}.canary`);
          return Number((rows as { n: number }[])[0]!.n) === 1;
        },
      },
    ];

    // The project: both tables, a canary in the warehouse, a gold model over each staging table
    folder = await mkdtemp(join(tmpdir(), 'floe-hostile-'));
    warehouseFile = join(folder, 'warehouse.duckdb');
    const warehouse = await DuckDbWarehouse.open(warehouseFile);
    await warehouse.query('create table canary (id int); insert into canary values (42)');
    await warehouse.close();
    await mkdir(join(folder, 'gold'));
    for (const source of ['pg', 'my'] as const) {
      await writeFile(join(folder, 'gold', `rows_${source}.sql`), `select count(*) as row_count from staging.${pgq(warehouseTableName(source, CONFIGURED[source]))}\n`);
    }
    const table = (name: string): string[] => [
      `      - name: ${yaml(name)}`,
      `        primaryKey: [${yaml(KEY)}]`,
      `        incrementalColumn: ${yaml(INCREMENTAL)}`,
      `        partitionColumn: ${yaml(KEY)}`,
      '        partitions: 2',
    ];
    await writeFile(
      join(folder, 'floe.config.yaml'),
      [
        'raw: ./raw',
        'state: ./state',
        'warehouse: duckdb://./warehouse.duckdb',
        'gold: ./gold',
        'sources:',
        '  - name: pg',
        '    engine: postgres',
        `    connection: ${PG_URL}`,
        '    tables:',
        ...table(CONFIGURED.pg),
        '  - name: my',
        '    engine: mysql',
        `    connection: ${yaml(`${MYSQL_URL}/${encodeURIComponent(MYSQL_DATABASE)}`)}`,
        '    tables:',
        // The table holds a '.': named with its database, as floe discover names it.
        ...table(CONFIGURED.my),
        '',
      ].join('\n'),
    );

    // Act
    run = await floe(['run', '--config', join(folder, 'floe.config.yaml')]);
    check = await floe(['check', '--config', join(folder, 'floe.config.yaml')]);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${pgq(PG_SCHEMA)} cascade`);
    await client.end();
    await my.query(`drop database if exists ${myq(MYSQL_DATABASE)}`);
    await my.end();
  });

  it('runs both tables to gold', () => {
    // Assess
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('GoldBuilt') });
    expect(run.stdout).toContain('2 table(s), 0 failed');
  });

  it.each(['pg', 'my'] as const)('lands every row of the %s table in staging exactly as the source holds it', async (name) => {
    // Prepare
    const source = sources.find((s) => s.name === name)!;

    // Act
    const [expected, staged] = await Promise.all([source.rows(), stagingRows(warehouseFile, name, source.text)]);

    // Assess
    expect(expected).toHaveLength(ROWS.length);
    expect(staged).toEqual(expected);
  });

  it('builds gold over the hostile staging names', async () => {
    // Act
    const warehouse = await DuckDbWarehouse.open(warehouseFile);
    const gold = await warehouse.query('select (select row_count from gold.rows_pg) as pg, (select row_count from gold.rows_my) as my').finally(() => warehouse.close());

    // Assess
    expect(gold.map((row) => [Number(row['pg']), Number(row['my'])])).toEqual([[3, 3]]);
  });

  it('finds both tables in sync with floe check', () => {
    // Assess
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('2 table(s) checked, 0 with drift');
    expect(check.stdout.match(/in sync/g)).toHaveLength(2);
  });

  it('leaves the canary tables alive in both sources and in the warehouse', async () => {
    // Act
    const alive = await Promise.all(sources.map((source) => source.canaryAlive()));
    const warehouse = await DuckDbWarehouse.open(warehouseFile);
    const canary = await warehouse.query('select count(*) as n from main.canary').finally(() => warehouse.close());

    // Assess
    expect(alive).toEqual([true, true]);
    expect(Number(canary[0]!['n'])).toBe(1);
  });

  it('keeps every raw file inside the raw root, one folder per table', async () => {
    // Act
    const folders = await readdir(join(folder, 'raw', 'PostgreSQL', 'pg'));
    const myFolders = await readdir(join(folder, 'raw', 'MySQL', 'my'));

    // Assess
    expect(folders).toEqual([CONFIGURED.pg]);
    expect(myFolders).toEqual([CONFIGURED.my]);
    expect(existsSync(join(folder, 'PostgreSQL'))).toBe(false);
  });

  it('has floe discover name both tables exactly as the config does', async () => {
    // Prepare
    const source = (name: string, engine: 'postgres' | 'mysql', connection: string): SourceConfig => ({ name, engine, connection, maxConnections: 4, tables: [] });

    // Act
    const [pgTables, myTables] = await Promise.all([
      discoverPostgres(source('pg', 'postgres', PG_URL), { schema: PG_SCHEMA }),
      discoverMysql(source('my', 'mysql', `${MYSQL_URL}/${encodeURIComponent(MYSQL_DATABASE)}`)),
    ]);

    // Assess
    expect(pgTables.map((table) => [table.name, table.primaryKey, table.partitionColumn])).toEqual([
      [`${PG_SCHEMA}.canary`, [], null],
      // A table this small is read in one part: no partition column is proposed (discover/suggestions.ts).
      [CONFIGURED.pg, [KEY], null],
    ]);
    expect(myTables.map((table) => [table.name, table.primaryKey])).toEqual([
      ['canary', []],
      [CONFIGURED.my, [KEY]],
    ]);
  });
});
