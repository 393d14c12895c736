import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { runCommand } from '../../cli/run.js';
import { loadConfig, type FloeConfig } from '../../config/index.js';
import type { FloeEvent } from '../../events/index.js';
import { type TableOutcome } from '../../runtime/local/pipeline.js';
import { runLocally } from '../../runtime/local/run.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { captureOutput } from '../cli/helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_deletes_test';

/** Staging of one table: key → marked (its _floe_deleted_at is set) or live; removed keys are absent. */
async function stagingKeys(warehousePath: string, table: string, key = 'id'): Promise<Map<string, 'live' | 'marked'>> {
  const warehouse = await DuckDbWarehouse.open(warehousePath);
  try {
    const columns = (await warehouse.query(`select column_name from information_schema.columns where table_schema = 'staging' and table_name = $1`, [table]))
      .map((row) => String(row['column_name']));
    const marked = columns.includes('_floe_deleted_at') ? '_floe_deleted_at is not null' : 'false';
    const rows = await warehouse.query(`select cast(${key} as varchar) as k, ${marked} as marked from staging."${table}" order by 1`);
    return new Map(rows.map((row) => [String(row['k']), row['marked'] === true ? 'marked' : 'live']));
  } finally {
    await warehouse.close();
  }
}

const keysWhere = (keys: Map<string, 'live' | 'marked'>, state: 'live' | 'marked'): string[] =>
  [...keys].filter(([, s]) => s === state).map(([k]) => k).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));

async function run(config: FloeConfig): Promise<{ outcomes: TableOutcome[]; merged: Map<string, { deleted: number; noChange: boolean }> }> {
  const merged = new Map<string, { deleted: number; noChange: boolean }>();
  const onEvent = (event: FloeEvent) => {
    if (event['detail-type'] === 'StageMerged') merged.set(event.detail.table, { deleted: event.detail.deleted, noChange: event.detail.noChange });
  };
  const outcomes = await runLocally(config, { onEvent });
  expect(outcomes.map((o) => [o.table, o.failure])).toEqual(outcomes.map((o) => [o.table, null]));
  return { outcomes, merged };
}

const deletedOf = (outcomes: TableOutcome[], table: string) => outcomes.find((o) => o.table === table)?.run?.deleted ?? 0;

describe('Delete detection: rows deleted at the source behind floe\'s back', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  let my: mysql.Connection;
  let config: FloeConfig;
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    // Updated in place: updated_at moves on every change.
    await pgClient.query(`create table ${SCHEMA}.orders (id bigint primary key, status text, updated_at timestamptz(6) not null default clock_timestamp())`);
    await pgClient.query(`insert into ${SCHEMA}.orders (id, status, updated_at) select g, 'new', timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 2000) g`);
    // Append-only: never updated; the incremental column is the key itself.
    await pgClient.query(`create table ${SCHEMA}.ledger (id bigint primary key, amount numeric(12,2))`);
    await pgClient.query(`insert into ${SCHEMA}.ledger select g, g * 1.5 from generate_series(1, 500) g`);
    // A composite key with a timestamp with time zone in it, removed when deleted.
    await pgClient.query(`create table ${SCHEMA}.readings (sensor text, taken_at timestamptz(6), value double precision, primary key (sensor, taken_at))`);
    await pgClient.query(`insert into ${SCHEMA}.readings select 's' || (g % 3), timestamptz '2025-03-01 12:00:00.123456+02' + g * interval '1 minute', g from generate_series(1, 300) g`);

    my = await mysql.createConnection(MYSQL_URL);
    await my.query(`drop database if exists ${SCHEMA}`);
    await my.query(`create database ${SCHEMA} character set utf8mb4`);
    await my.query(`create table ${SCHEMA}.items (id int primary key, name varchar(50), updated_at datetime(6) not null)`);
    await my.query(`insert into ${SCHEMA}.items select seq, concat('item ', seq), timestamp('2025-01-01') + interval seq second from seq_1_to_1000`);
    await my.query(`create table ${SCHEMA}.events (code varchar(20) primary key, created_at datetime(6) not null)`);
    await my.query(`insert into ${SCHEMA}.events select concat('ev-', seq), timestamp('2025-02-01') + interval seq second from seq_1_to_300`);

    const folder = await mkdtemp(join(tmpdir(), 'floe-deletes-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${SCHEMA}.orders`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        deletes: detect',
      `      - name: ${SCHEMA}.ledger`, '        primaryKey: [id]', '        incrementalColumn: id', '        deletes: detect',
      `      - name: ${SCHEMA}.readings`, '        primaryKey: [sensor, taken_at]', '        incrementalColumn: taken_at', '        deletes: detect-hard',
      '  - name: my', '    engine: mysql', `    connection: ${MYSQL_URL.replace(/\/mysql$/, `/${SCHEMA}`)}`, '    tables:',
      `      - name: ${SCHEMA}.items`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        deletes: detect',
      `      - name: ${SCHEMA}.events`, '        primaryKey: [code]', '        incrementalColumn: created_at', '        deletes: detect-hard',
    ].join('\n'));
    config = await loadConfig(configFile);
    warehousePath = config.warehouse.slice('duckdb://'.length);
    const first = await run(config);
    expect(first.outcomes.map((o) => deletedOf(first.outcomes, o.table))).toEqual([0, 0, 0, 0, 0]);
  }, 120_000);

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient.end();
    await my?.query(`drop database if exists ${SCHEMA}`);
    await my?.end();
  });

  it('marks (detect) or removes (detect-hard) exactly the deleted keys, reports them, and floe check sees no drift', async () => {
    // Prepare: deletes behind floe's back, plus ordinary changes in the same run
    await pgClient.query(`delete from ${SCHEMA}.orders where id in (3, 500, 1999)`);
    await pgClient.query(`update ${SCHEMA}.orders set status = 'paid', updated_at = clock_timestamp() where id = 10`);
    await pgClient.query(`insert into ${SCHEMA}.orders (id, status) values (2001, 'new')`);
    await pgClient.query(`delete from ${SCHEMA}.ledger where id in (1, 250)`);
    await pgClient.query(`delete from ${SCHEMA}.readings where value in (5, 6, 299)`);
    await my.query(`delete from ${SCHEMA}.items where id in (7, 777)`);
    await my.query(`delete from ${SCHEMA}.events where code in ('ev-1', 'ev-42')`);
    // Rows stamped in a run's own second are read again by the next (README: incremental runs): the
    // next test counts what that run extracts.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Act
    const { outcomes, merged } = await run(config);

    // Assess: detect marks, detect-hard removes, exactly those keys
    const orders = await stagingKeys(warehousePath, `pg__${SCHEMA}__orders`);
    expect(keysWhere(orders, 'marked')).toEqual(['3', '500', '1999']);
    expect(orders.size).toBe(2001);
    const ledger = await stagingKeys(warehousePath, `pg__${SCHEMA}__ledger`);
    expect(keysWhere(ledger, 'marked')).toEqual(['1', '250']);
    const readings = await stagingKeys(warehousePath, `pg__${SCHEMA}__readings`, 'cast(value as bigint)');
    expect([readings.size, readings.has('5'), readings.has('6'), readings.has('299'), readings.has('7')]).toEqual([297, false, false, false, true]);
    const items = await stagingKeys(warehousePath, `my__${SCHEMA}__items`);
    expect(keysWhere(items, 'marked')).toEqual(['7', '777']);
    const events = await stagingKeys(warehousePath, `my__${SCHEMA}__events`, 'code');
    expect([events.size, events.has('ev-1'), events.has('ev-42'), events.has('ev-2')]).toEqual([298, false, false, true]);
    // Reported in the run record and StageMerged; a run that brought no rows but deleted some changed staging
    const tables = [`${SCHEMA}.orders`, `${SCHEMA}.ledger`, `${SCHEMA}.readings`, `${SCHEMA}.items`, `${SCHEMA}.events`];
    expect(tables.map((t) => deletedOf(outcomes, t))).toEqual([3, 2, 3, 2, 2]);
    expect(tables.map((t) => merged.get(t))).toEqual([
      { deleted: 3, noChange: false }, { deleted: 2, noChange: false }, { deleted: 3, noChange: false }, { deleted: 2, noChange: false }, { deleted: 2, noChange: false },
    ]);
    // Soft-deleted rows are not "extra" to floe check
    const { code, stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--json']));
    const checks = JSON.parse(stdout) as TableCheck[];
    expect(checks.map((c) => [c.table, c.status, c.drift?.extra.length])).toEqual(tables.map((t) => [t, 'in sync', 0]));
    expect(code).toBe(0);
  }, 120_000);

  it('marks nothing more on the next run, and floe run\'s summary shows each table\'s deleted rows', async () => {
    // Prepare
    await pgClient.query(`delete from ${SCHEMA}.ledger where id = 400`);

    // Act
    const { code, stdout } = await captureOutput(() => runCommand(['--config', configFile]));

    // Assess
    expect(code).toBe(0);
    const header = stdout.split('\n').find((line) => line.startsWith('table '));
    expect(header).toMatch(/inserted +updated +deleted +duration/);
    const line = (table: string) => stdout.split('\n').find((l) => l.startsWith(`pg/${SCHEMA}.${table} `)) ?? '';
    // rows extracted, inserted, updated, deleted
    expect(line('ledger')).toMatch(/incremental +0 +0 +0 +1 /);
    expect(line('orders')).toMatch(/incremental +0 +0 +0 +0 /);
    expect(keysWhere(await stagingKeys(warehousePath, `pg__${SCHEMA}__ledger`), 'marked')).toEqual(['1', '250', '400']);
  }, 120_000);

  it('brings a re-inserted row back: un-marked (detect) or inserted again (detect-hard)', async () => {
    // Prepare
    await pgClient.query(`insert into ${SCHEMA}.orders (id, status) values (500, 'back')`);
    await my.query(`insert into ${SCHEMA}.items values (7, 'item 7 again', now(6))`);
    await my.query(`insert into ${SCHEMA}.events values ('ev-42', now(6))`);

    // Act
    const { outcomes } = await run(config);

    // Assess
    expect(keysWhere(await stagingKeys(warehousePath, `pg__${SCHEMA}__orders`), 'marked')).toEqual(['3', '1999']);
    expect(keysWhere(await stagingKeys(warehousePath, `my__${SCHEMA}__items`), 'marked')).toEqual(['777']);
    expect((await stagingKeys(warehousePath, `my__${SCHEMA}__events`, 'code')).get('ev-42')).toBe('live');
    expect(outcomes.map((o) => [o.table, o.run?.deleted ?? 0, o.run?.inserted, o.run?.updated])).toEqual([
      [`${SCHEMA}.orders`, 0, 0, 1],
      [`${SCHEMA}.ledger`, 0, 0, 0],
      [`${SCHEMA}.readings`, 0, 0, 0],
      [`${SCHEMA}.items`, 0, 0, 1],
      [`${SCHEMA}.events`, 0, 1, 0],
    ]);
    const warehouse = await DuckDbWarehouse.open(warehousePath);
    try {
      const [row] = await warehouse.query(`select status from staging."pg__${SCHEMA}__orders" where id = 500`);
      expect(row?.['status']).toBe('back');
    } finally {
      await warehouse.close();
    }
  }, 120_000);

  it('removes the rows it had marked once the table switches from detect to detect-hard', async () => {
    // Prepare
    const text = (await readFile(configFile, 'utf8')).replace(
      `${SCHEMA}.orders\n        primaryKey: [id]\n        incrementalColumn: updated_at\n        deletes: detect`,
      `${SCHEMA}.orders\n        primaryKey: [id]\n        incrementalColumn: updated_at\n        deletes: detect-hard`,
    );
    await writeFile(configFile, text);

    // Act
    const { outcomes } = await run(await loadConfig(configFile));

    // Assess
    const orders = await stagingKeys(warehousePath, `pg__${SCHEMA}__orders`);
    expect([orders.size, orders.has('3'), orders.has('1999'), keysWhere(orders, 'marked')]).toEqual([1999, false, false, []]);
    expect(deletedOf(outcomes, `${SCHEMA}.orders`)).toBe(2);
  }, 120_000);
});
