import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { loadConfig } from '../../config/index.js';
import { CHECK_COMPLETED, type FloeEvent } from '../../events/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { captureOutput } from '../cli/helpers.js';
import { floeEnvironmentFor, startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { PG_URL, uniqueName } from '../faults/source-table.js';

const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';

/**
 * `floe run` then `floe check` on a snowflake:// warehouse (the fakesnow emulator), from a real
 * PostgreSQL table with every scalar kind floe check compares and arrays of several element types
 * (NULL elements, quotes and commas, two dimensions, empty). Staging's values are hashed by the
 * production Snowflake SQL of check/snowflake-text-sql.ts, which fakesnow runs with what
 * test/fakesnow_server.py teaches it (TRANSFORM over an ARRAY, the hexadecimal format element,
 * TO_VARCHAR of a TIME, RTRIM's characters), each a documented Snowflake behaviour. fakesnow's
 * COPY stores an ARRAY's elements as DuckDB's JSON makes them, which need not be what Snowflake's
 * COPY makes of a Parquet LIST: the statements are pinned in test/check/snowflake-check-sql.test.ts,
 * and `floe snowflake verify` runs them on a real account against PostgreSQL's text of known values.
 */
describe('floe check on a Snowflake warehouse, on the fakesnow emulator', () => {
  const schema = uniqueName('floe_sf_check');
  const client = new pg.Client({ connectionString: PG_URL });
  let mariadb: mysql.Connection;
  const saved = { ...process.env };
  let server: FakesnowServer;
  let folder: string;
  let configFile: string;

  async function check(filter: string[]): Promise<{ code: number; tables: TableCheck[] }> {
    const { code, stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--json', ...filter]));
    return { code, tables: JSON.parse(stdout) as TableCheck[] };
  }

  async function inStaging(sql: string): Promise<void> {
    const session = await SnowflakeSession.open(server.settings('CHECK_DB'));
    try {
      await session.run({ sql, params: [] }, 'test');
    } finally {
      await session.close();
    }
  }

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await client.query(`create table ${schema}.kinds (
      id bigint primary key, small smallint, amount numeric(12,2), ratio double precision, tiny real, label text, flag boolean,
      day date, local_at timestamp(6), happened_at timestamptz(6), at_time time(6), payload bytea,
      counts int[], tags text[], grid int[][], prices numeric(10,2)[], instants timestamptz[], updated_at timestamptz(6) not null, blobs bytea[], flags boolean[], days date[], ratios float8[], times time(6)[], locals timestamp(6)[])`);
    await client.query(`insert into ${schema}.kinds values
      (1, -32768, 1234567890.10, 0.1, 1.5, 'a "quoted", text', true, '2024-02-29', '2025-01-01 00:00:00', '2025-06-01 12:30:00.5+02', '00:00:00', '\\x00ff',
       '{1,NULL,-2147483648}', array['a b', 'q"uote', 'comma,brace}', null, '', 'NULL'], '{{1,2},{3,NULL}}', '{1.50,-99999999.99,NULL}',
       array[timestamptz '2025-11-06 01:30:00.000001+00', null], '2025-01-01 00:00:01+00'),
      (2, 7, 0.00, 'NaN', '-Infinity', '', false, '0001-01-01', '1999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', '23:59:59.999999', '\\x',
       '{}', '{}', '{}', '{}', '{}', '2025-01-01 00:00:02+00'),
      (3, null, null, '-0', 1.4e-45, null, null, null, null, null, null, null, null, null, null, null, null, '2025-01-01 00:00:03+00'),
      (4, 1, -0.50, 1e300, 3.4e38, 'ü', true, '9999-12-31', '2025-01-01 00:00:00.1', '2025-01-01 00:00:00.000001+00', '12:00:00.5', '\\xcafe',
       '{0}', array[null]::text[], '{{5},{6}}', '{0.01}', array[timestamptz '2025-01-01 00:00:00+00'], '2025-01-01 00:00:04+00')`);
    await client.query(`update ${schema}.kinds set blobs = array['\\x00ff'::bytea, null, '\\x'::bytea], flags = '{t,NULL,f}', days = '{2024-02-29,0001-01-01}',
      ratios = array[0.1, 'NaN', '-0', '-Infinity', null]::float8[], times = '{00:00:00,12:00:00.5}', locals = '{"2025-01-01 00:00:00.1"}' where id = 1`);
    await client.query(`create table ${schema}.orders (order_id bigint, line_no int, placed_at timestamptz(6) not null, primary key (order_id, line_no));
      insert into ${schema}.orders select g, g % 3, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 50) g`);
    await client.query(`create table ${schema}.visits (page text, tags text[], seen_at timestamptz(6) not null);
      insert into ${schema}.visits values ('/', '{a,b}', '2025-01-01 00:00:01+00'), ('/', '{a,b}', '2025-01-01 00:00:01+00'), ('/about', '{x}', '2025-01-01 00:00:02+00')`);
    mariadb = await mysql.createConnection(MYSQL_URL);
    await mariadb.query(`drop database if exists ${schema}`);
    await mariadb.query(`create database ${schema} character set utf8mb4`);
    await mariadb.query(`create table ${schema}.items (id int primary key, name varchar(50), price decimal(10,2), big bigint unsigned, flag tinyint(1),
      made datetime(6), stamped timestamp(6) null, day date, at_time time(6), data blob, updated_at datetime(6) not null)`);
    await mariadb.query(`insert into ${schema}.items values
      (1, 'tea 🍵', 3.50, 18446744073709551615, 1, '2025-01-01 10:00:00.000001', '2025-01-01 10:00:00.5', '2024-02-29', '12:00:00.5', x'00ff', '2025-01-01 00:00:01'),
      (2, null, 0.00, 0, 0, '1000-01-01 00:00:00', null, null, '00:00:00', x'', '2025-01-01 00:00:02')`);
    server = await startFakesnow();
    await inStaging('create database if not exists "CHECK_DB"');
    folder = await mkdtemp(join(tmpdir(), 'floe-sf-check-'));
    await mkdir(join(folder, 'gold'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'raw: ./raw', 'state: ./state', 'gold: ./gold', 'warehouse: snowflake://floe-test/CHECK_DB?user=floe',
      'sources:', '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${schema}.kinds`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        check: after-merge',
      `      - name: ${schema}.orders`, '        primaryKey: [order_id, line_no]', '        incrementalColumn: placed_at', '        deletes: detect',
      `      - name: ${schema}.visits`, '        mode: append', '        incrementalColumn: seen_at',
      '  - name: my', '    engine: mysql', `    connection: ${MYSQL_URL.replace(/\/mysql$/, `/${schema}`)}`, '    tables:',
      `      - name: ${schema}.items`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '',
    ].join('\n'));
    Object.assign(process.env, floeEnvironmentFor(server));
  }, 60_000);

  afterAll(async () => {
    process.env = saved;
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await mariadb?.query(`drop database if exists ${schema}`);
    await mariadb?.end();
    await server?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('runs the table into Snowflake, checks it after the merge, and floe check finds it in sync', async () => {
    // Prepare
    const config = await loadConfig(configFile);

    const events: FloeEvent[] = [];

    // Act
    const [run] = await runLocally(config, { filter: { table: `${schema}.kinds` }, onEvent: (event) => events.push(event) });
    const { code, tables } = await check(['--table', `${schema}.kinds`]);

    // Assess
    expect(run?.failure).toBeNull();
    expect(run?.run).toMatchObject({ status: 'succeeded', inserted: 4 });
    const afterMerge = events.find((event) => event['detail-type'] === CHECK_COMPLETED);
    expect(afterMerge?.detail).toMatchObject({ status: 'in sync', inSync: true, sourceRows: 4, stagingRows: 4 });
    expect(tables.map((table) => [table.status, table.drift?.sourceRows, table.drift?.stagingRows])).toEqual([['in sync', 4, 4]]);
    expect(code).toBe(0);
  }, 180_000);

  it('reports a value changed in staging as drift, naming the key', async () => {
    // Prepare: one array element changed behind floe's back
    await inStaging(`update staging.pg__${schema}__kinds set "TAGS" = array_construct('a b', 'changed') where "ID" = 1`);

    // Act
    const { code, tables } = await check(['--table', `${schema}.kinds`]);

    // Assess
    expect(code).toBe(1);
    expect(tables[0]).toMatchObject({ status: 'drift', drift: { missing: [], extra: [], different: [{ id: 1 }] } });
  }, 120_000);

  it('repairs that drift by re-extracting the key through the pipeline, and finds the table in sync after', async () => {
    // Act
    const { code, stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--json', '--repair', '--table', `${schema}.kinds`]));
    const report = JSON.parse(stdout) as { repairs: { keys: number; failure: string | null }[]; after: TableCheck[] };

    // Assess
    expect(report.repairs).toEqual([expect.objectContaining({ keys: 1, failure: null })]);
    expect(report.after.map((table) => table.status)).toEqual(['in sync']);
    expect(code).toBe(0);
  }, 180_000);

  it("detects rows deleted at the source by comparing composite keys with staging's, and marks them", async () => {
    // Prepare
    const config = await loadConfig(configFile);
    const only = { filter: { table: `${schema}.orders` } };
    const [first] = await runLocally(config, only);
    await client.query(`delete from ${schema}.orders where order_id in (7, 31)`);

    // Act
    const [second] = await runLocally(config, only);
    const session = await SnowflakeSession.open(server.settings('CHECK_DB'));
    const marked = await session.run({ sql: `select "ORDER_ID" as "id" from staging.pg__${schema}__orders where "_FLOE_DELETED_AT" is not null order by 1`, params: [] }, 'test');
    await session.close();
    const { code, tables } = await check(['--table', `${schema}.orders`]);

    // Assess
    expect(first?.failure).toBeNull();
    expect(second?.failure).toBeNull();
    expect(second?.run).toMatchObject({ status: 'succeeded', deleted: 2 });
    expect(marked.rows.map((row) => String(row['id']))).toEqual(['7', '31']);
    expect(tables.map((table) => [table.status, table.drift?.sourceRows, table.drift?.stagingRows])).toEqual([['in sync', 48, 48]]);
    expect(code).toBe(0);
  }, 180_000);

  it('checks a MariaDB table of every kind MySQL compares on Snowflake (unsigned, tinyint(1), datetime, timestamp, time, blob) in sync', async () => {
    // Prepare
    const config = await loadConfig(configFile);

    // Act
    const [run] = await runLocally(config, { filter: { source: 'my' } });
    const { code, tables } = await check(['--source', 'my']);

    // Assess
    expect(run?.failure).toBeNull();
    expect(tables.map((table) => [table.status, table.drift?.sourceRows, table.drift?.stagingRows])).toEqual([['in sync', 2, 2]]);
    expect(code).toBe(0);
  }, 180_000);

  it('checks a table without a key as a multiset of rows, a duplicate row weighing twice', async () => {
    // Prepare
    const config = await loadConfig(configFile);
    const [run] = await runLocally(config, { filter: { table: `${schema}.visits` } });
    const before = await check(['--table', `${schema}.visits`]);
    await inStaging(`delete from staging.pg__${schema}__visits where "PAGE" = '/about'`);

    // Act
    const after = await check(['--table', `${schema}.visits`]);

    // Assess
    expect(run?.failure).toBeNull();
    expect(before.tables.map((table) => [table.status, table.keyless, table.drift?.sourceRows, table.drift?.stagingRows])).toEqual([['in sync', true, 3, 3]]);
    expect(after.tables[0]).toMatchObject({ status: 'drift', drift: { sourceRows: 3, stagingRows: 2, missing: [{ page: '/about', tags: '{x}' }], extra: [] } });
  }, 180_000);
});
