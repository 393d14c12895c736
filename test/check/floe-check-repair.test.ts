import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { loadConfig, type FloeConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { captureOutput } from '../cli/helpers.js';
import { inWarehouse, loadAll } from './helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_repair_test';
const PG_STAGING = `staging."pg__${SCHEMA}__events"`;
const MY_STAGING = `staging."my__${SCHEMA}__items"`;

interface Repaired {
  before: TableCheck[];
  repairs: { runId: string | null; source: string; table: string; keys: number; failure: string | null }[];
  after: TableCheck[];
}

async function floeCheck(configFile: string, ...more: string[]): Promise<{ code: number; stdout: string }> {
  return captureOutput(() => checkCommand(['--config', configFile, ...more]));
}

describe('floe check --repair: drift found and repaired through the pipeline', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  let mysqlConnection: mysql.Connection;
  let config: FloeConfig;
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.events (id bigint primary key, label text, amount numeric(12,2), updated_at timestamptz(6))`);
    await pgClient.query(`insert into ${SCHEMA}.events
      select g, 'event ' || g, g * 1.25, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 millisecond' from generate_series(1, 2000) g`);
    mysqlConnection = await mysql.createConnection(MYSQL_URL);
    await mysqlConnection.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection.query(`create database ${SCHEMA} character set utf8mb4`);
    await mysqlConnection.query(`create table ${SCHEMA}.items (shop varchar(10), id int, name varchar(50), price decimal(10,2), updated_at datetime(6), primary key (shop, id))`);
    await mysqlConnection.query(`insert into ${SCHEMA}.items values
      ('eu', 1, 'tea 🍵', 3.50, '2025-01-01 10:00:00.000001'), ('eu', 2, 'café', 2.10, '2025-01-01 10:00:01'),
      ('us', 1, 'coffee', 4.00, '2025-01-01 10:00:02'), ('us', 2, 'milk', 1.00, '2025-01-01 10:00:03')`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-repair-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${SCHEMA}.events`, '        primaryKey: [id]', '        incrementalColumn: updated_at',
      '  - name: my', '    engine: mysql', `    connection: ${MYSQL_URL.replace(/\/mysql$/, `/${SCHEMA}`)}`, '    tables:',
      `      - name: ${SCHEMA}.items`, '        primaryKey: [shop, id]', '        incrementalColumn: updated_at',
    ].join('\n'));
    config = await loadConfig(configFile);
    warehousePath = config.warehouse.slice('duckdb://'.length);
    const outcomes = await runLocally(config);
    expect(outcomes.map((outcome) => outcome.failure)).toEqual([null, null]);
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient.end();
    await mysqlConnection?.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection?.end();
  });

  it('finds exactly the keys deleted, inserted and corrupted behind floe\'s back, repairs them without moving the watermark, and checks in sync after', async () => {
    // Prepare: drift at the source (rows no incremental run can see) and in staging
    await pgClient.query(`delete from ${SCHEMA}.events where id = 10`);
    await pgClient.query(`insert into ${SCHEMA}.events values (1500000, 'inserted below the watermark', 1, timestamptz '2025-01-01 00:00:00.5+00')`);
    await pgClient.query(`update ${SCHEMA}.events set label = 'changed, watermark column untouched' where id = 11`);
    await mysqlConnection.query(`delete from ${SCHEMA}.items where shop = 'us' and id = 2`);
    await mysqlConnection.query(`update ${SCHEMA}.items set price = 9.99 where shop = 'eu' and id = 2`);
    await inWarehouse(warehousePath, [
      `delete from ${PG_STAGING} where id = 30`,
      `update ${PG_STAGING} set amount = amount + 0.01 where id = 20`,
      // A corrupted row claiming a newer version than the source's: a MERGE alone would keep it.
      `update ${PG_STAGING} set label = 'corrupt', updated_at = updated_at + interval 1 second where id = 21`,
      `insert into ${PG_STAGING} select * replace (99999 as id) from ${PG_STAGING} where id = 1`,
      `delete from ${MY_STAGING} where shop = 'us' and id = 1`,
      `insert into ${MY_STAGING} select * replace ('zz' as shop) from ${MY_STAGING} where shop = 'eu' and id = 1`,
    ]);
    const state = new LocalStateStore(config.state);
    const watermarks = await Promise.all([state.getTableState('pg', `${SCHEMA}.events`), state.getTableState('my', `${SCHEMA}.items`)]);

    // Act
    const { code, stdout } = await floeCheck(configFile, '--repair', '--json');
    const second = await floeCheck(configFile, '--json');

    // Assess: the first check found exactly those keys
    const result = JSON.parse(stdout) as Repaired;
    expect(code).toBe(0);
    expect(result.before.map((t) => t.drift && [t.drift.missing, t.drift.extra, t.drift.different])).toEqual([
      [[{ id: 1500000 }, { id: 30 }], [{ id: 10 }, { id: 99999 }], [{ id: 11 }, { id: 20 }, { id: 21 }]],
      [[{ shop: 'us', id: 1 }], [{ shop: 'us', id: 2 }, { shop: 'zz', id: 1 }], [{ shop: 'eu', id: 2 }]],
    ]);
    // one repair run per table, through the pipeline, each for its drifted keys
    expect(result.repairs.map((run) => [run.source, run.keys, run.failure])).toEqual([['pg', 7, null], ['my', 4, null]]);
    expect(result.after.map((t) => t.status)).toEqual(['in sync', 'in sync']);
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as TableCheck[]).map((t) => [t.status, t.drift?.sourceRows, t.drift?.stagingRows])).toEqual([
      ['in sync', 2000, 2000],
      ['in sync', 3, 3],
    ]);
    // a repair run is not an incremental run: the watermark stays, and the lease is free again
    const after = await Promise.all([state.getTableState('pg', `${SCHEMA}.events`), state.getTableState('my', `${SCHEMA}.items`)]);
    expect(after.map((table) => [table.watermark, table.activeRun])).toEqual(watermarks.map((table) => [table.watermark, null]));
    const run = await state.getRun(result.repairs[0]?.runId ?? 'no run');
    expect(run).toMatchObject({ status: 'succeeded', mode: 'full', rowsExtracted: 5 });
  });
  it('respects the table lease: a repair of a table another run holds is refused, and staging stays as it was', async () => {
    // Prepare: drift in staging, and another run holding the table
    await inWarehouse(warehousePath, [`delete from ${PG_STAGING} where id = 40`]);
    const state = new LocalStateStore(config.state);
    await state.acquireLease('pg', `${SCHEMA}.events`, 'r-other', new Date(), 60_000);

    try {
      // Act
      const { code, stdout } = await floeCheck(configFile, '--repair', '--json', '--source', 'pg');

      // Assess
      const result = JSON.parse(stdout) as Repaired;
      expect(code).toBe(1);
      expect(result.repairs).toHaveLength(1);
      expect(result.repairs[0]?.failure).toMatch(/table busy: run r-other since/);
      expect(result.after.map((t) => [t.status, t.drift?.missing])).toEqual([['drift', [{ id: 40 }]]]);
    } finally {
      await state.releaseLease('pg', `${SCHEMA}.events`, 'r-other');
    }
    // once the table is free, the repair goes through
    expect((await floeCheck(configFile, '--repair', '--json', '--source', 'pg')).code).toBe(0);
  });
});

describe('floe check --repair: a composite key with a timestamptz, more keys than one run takes', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  const schema = 'floe_repair_stamped_test';
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await pgClient.query(`create table ${schema}.readings (region text, at timestamptz(6), value numeric(10,3), updated_at timestamptz(6), primary key (region, at))`);
    await pgClient.query(`insert into ${schema}.readings
      select case when g % 2 = 0 then 'eu' else 'us' end, timestamptz '2025-03-01 12:00:00.000001+01' + g * interval '1.5 second', g / 7.0,
        timestamptz '2025-01-01 00:00:00+00' + g * interval '1 millisecond'
      from generate_series(1, 1200) g`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-repair-stamped-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${schema}.readings`, '        primaryKey: [region, at]', '        incrementalColumn: updated_at',
    ].join('\n'));
    warehousePath = await loadAll(configFile);
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${schema} cascade`);
    await pgClient.end();
  });

  it('repairs 602 keys in two runs, times with a zone matched exactly on both sides', async () => {
    // Prepare: 600 rows gone from staging, one corrupted there, one deleted at the source
    const staging = `staging."pg__${schema}__readings"`;
    await inWarehouse(warehousePath, [
      `delete from ${staging} where region = 'eu' and updated_at <= timestamptz '2025-01-01 00:00:01.200+00'`,
      `update ${staging} set value = -1 where region = 'us' and updated_at = timestamptz '2025-01-01 00:00:00.001+00'`,
    ]);
    await pgClient.query(`delete from ${schema}.readings where region = 'us' and updated_at = timestamptz '2025-01-01 00:00:00.003+00'`);

    // Act
    const { code, stdout } = await floeCheck(configFile, '--repair', '--json');

    // Assess
    const result = JSON.parse(stdout) as Repaired;
    expect(code).toBe(0);
    const drift = result.before[0]?.drift;
    expect([drift?.missing.length, drift?.extra, drift?.different]).toEqual([
      600,
      [{ region: 'us', at: '2025-03-01 11:00:04.500001+00' }],
      [{ region: 'us', at: '2025-03-01 11:00:01.500001+00' }],
    ]);
    expect(result.repairs.map((run) => [run.keys, run.failure])).toEqual([[500, null], [102, null]]);
    expect(result.after.map((t) => [t.status, t.drift?.sourceRows, t.drift?.stagingRows])).toEqual([['in sync', 1199, 1199]]);
  });
});

describe('floe check --repair on a table with deletes: detect', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  const schema = 'floe_repair_detect_test';
  let config: FloeConfig;
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await pgClient.query(`create table ${schema}.orders (id bigint primary key, total numeric(10,2), updated_at timestamptz(6))`);
    await pgClient.query(`insert into ${schema}.orders select g, g * 2.5, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 50) g`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-repair-detect-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${schema}.orders`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        deletes: detect',
    ].join('\n'));
    config = await loadConfig(configFile);
    warehousePath = config.warehouse.slice('duckdb://'.length);
    expect((await runLocally(config)).map((outcome) => outcome.failure)).toEqual([null]);
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${schema} cascade`);
    await pgClient.end();
  });

  it('repairs live rows and leaves the rows marked deleted as they were', async () => {
    // Prepare: one row deleted at the source and marked by a run; then drift in staging
    await pgClient.query(`delete from ${schema}.orders where id = 5`);
    expect((await runLocally(config)).map((outcome) => outcome.failure)).toEqual([null]);
    const staging = `staging."pg__${schema}__orders"`;
    await inWarehouse(warehousePath, [
      `update ${staging} set total = 0 where id = 6`,
      `delete from ${staging} where id = 7`,
      `insert into ${staging} select * replace (900 as id) from ${staging} where id = 8`,
    ]);

    // Act
    const { code, stdout } = await floeCheck(configFile, '--repair', '--json');

    // Assess
    const result = JSON.parse(stdout) as Repaired;
    expect(code).toBe(0);
    expect(result.before.map((t) => t.drift && [t.drift.missing, t.drift.extra, t.drift.different])).toEqual([[[{ id: 7 }], [{ id: 900 }], [{ id: 6 }]]]);
    expect(result.after.map((t) => t.status)).toEqual(['in sync']);
    const warehouse = await DuckDbWarehouse.open(warehousePath);
    try {
      const rows = await warehouse.query(`select id::int as id, total::varchar as total, _floe_deleted_at is not null as deleted from ${staging} where id in (5, 6, 7, 900) order by id`);
      expect(rows).toEqual([{ id: 5, total: '12.50', deleted: true }, { id: 6, total: '15.00', deleted: false }, { id: 7, total: '17.50', deleted: false }]);
    } finally {
      await warehouse.close();
    }
  });
});

describe('floe check --repair: a table it cannot repair by key does not hold back the others', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  const schema = 'floe_repair_refused_test';
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await pgClient.query(`create table ${schema}.plain (id integer primary key, label text); insert into ${schema}.plain select g, 'p' || g from generate_series(1, 50) g`);
    await pgClient.query(`create table ${schema}.measured (reading double precision primary key, label text); insert into ${schema}.measured select g / 4.0, 'm' || g from generate_series(1, 50) g`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-repair-refused-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:', '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${schema}.measured`, '        primaryKey: [reading]', '        mode: full',
      `      - name: ${schema}.plain`, '        primaryKey: [id]', '        mode: full',
    ].join('\n'));
    warehousePath = await loadAll(configFile);
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${schema} cascade`);
    await pgClient.end();
  });

  it('refuses the table keyed by a float, naming its key column, and repairs the other', async () => {
    // Prepare: one row gone from each staging table
    await inWarehouse(warehousePath, [
      `delete from staging."pg__${schema}__measured" where reading = 2.5`,
      `delete from staging."pg__${schema}__plain" where id = 7`,
    ]);

    // Act
    const { code, stdout } = await floeCheck(configFile, '--repair', '--json');

    // Assess
    const result = JSON.parse(stdout) as Repaired;
    expect(code).toBe(1);
    expect(result.repairs.map((run) => [run.table, run.runId === null, run.keys, run.failure])).toEqual([
      [`${schema}.measured`, true, 0, `table pg/${schema}.measured: primary key column reading is DOUBLE in staging, which floe check --repair cannot re-extract by key yet; run the table in full mode instead (floe run --full)`],
      [`${schema}.plain`, false, 1, null],
    ]);
    expect(result.after.map((t) => [t.table, t.status])).toEqual([[`${schema}.measured`, 'drift'], [`${schema}.plain`, 'in sync']]);
  });
});
