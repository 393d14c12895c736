import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { openLocalPipeline } from '../../runtime/local/pipeline.js';
import { replayLocally } from '../../runtime/local/replay.js';
import { runLocally } from '../../runtime/local/run.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function sourceRows(client: pg.Client): Promise<string[]> {
  const result = await client.query(
    "select id || '|' || label || '|' || amount || '|' || to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') as row from floe_pipeline_test.events order by id",
  );
  return result.rows.map((r: { row: string }) => r.row);
}

async function stagingRows(warehousePath: string): Promise<string[]> {
  const warehouse = await DuckDbWarehouse.open(warehousePath);
  try {
    const rows = await warehouse.query(
      `select id || '|' || label || '|' || amount || '|' || strftime(updated_at, '%Y-%m-%d %H:%M:%S.%f') as row
       from staging."src__floe_pipeline_test__events" order by id`,
    );
    return rows.map((r) => String(r['row']));
  } finally {
    await warehouse.close();
  }
}

describe('floe run: the whole pipeline on embedded defaults', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let folder: string;

  beforeAll(async () => {
    await client.connect();
    await client.query('drop schema if exists floe_pipeline_test cascade; create schema floe_pipeline_test');
    await client.query(`create table floe_pipeline_test.events (id bigint primary key, label text, amount numeric(12,2), updated_at timestamp(6))`);
    await client.query(`insert into floe_pipeline_test.events
      select g, 'row ' || g, g * 1.25, timestamp '2025-01-01' + g * interval '1 second' from generate_series(1, 5000) g`);
    folder = await mkdtemp(join(tmpdir(), 'floe-pipeline-'));
    await writeFile(
      join(folder, 'floe.config.yaml'),
      [
        'gold: ./gold',
        'sources:',
        '  - name: src',
        '    engine: postgres',
        '    connection: ${FLOE_PIPELINE_TEST_URL}',
        '    tables:',
        '      - name: floe_pipeline_test.events',
        '        primaryKey: [id]',
        '        incrementalColumn: updated_at',
        '        partitionColumn: id',
        '        partitions: 2',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await client.query('drop schema if exists floe_pipeline_test cascade');
    await client.end();
  });

  it('leaves staging equal to the source after a full load and after incremental changes', async () => {
    // Prepare
    const config = await loadConfig(join(folder, 'floe.config.yaml'), { env: { FLOE_PIPELINE_TEST_URL: PG_URL } });
    const warehousePath = config.warehouse.slice('duckdb://'.length);
    // Act: first run, then updates, inserts and a tie at the new watermark
    const first = await runLocally(config);
    await client.query(`update floe_pipeline_test.events set amount = amount + 1, updated_at = timestamp '2025-02-01' where id % 100 = 0`);
    await client.query(`insert into floe_pipeline_test.events values (5001, 'new', 1, timestamp '2025-02-01'), (5002, 'tie', 2, timestamp '2025-02-01')`);
    const second = await runLocally(config);
    const third = await runLocally(config);
    // Assess
    expect(first.map((o) => o.failure)).toEqual([null]);
    expect(first[0]?.run?.rowsExtracted).toBe(5000);
    expect(second.map((o) => o.failure)).toEqual([null]);
    expect(second[0]?.run).toMatchObject({ rowsExtracted: 52, inserted: 2, updated: 50 });
    expect(third[0]?.run).toMatchObject({ rowsExtracted: 0, inserted: 0, updated: 0 });
    expect(await stagingRows(warehousePath)).toEqual(await sourceRows(client));
  });
});

describe('floe replay and duplicate delivery', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let configPath: string;

  beforeAll(async () => {
    await client.connect();
    await client.query('drop schema if exists floe_replay_test cascade; create schema floe_replay_test');
    await client.query(`create table floe_replay_test.events (id bigint primary key, label text, updated_at timestamp(6))`);
    await client.query(`insert into floe_replay_test.events
      select g, 'row ' || g, timestamp '2025-01-01' + g * interval '1 second' from generate_series(1, 1000) g`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-replay-'));
    configPath = join(folder, 'floe.config.yaml');
    await writeFile(
      configPath,
      ['gold: ./gold', 'sources:', '  - name: src', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
        '      - name: floe_replay_test.events', '        primaryKey: [id]', '        incrementalColumn: updated_at'].join('\n'),
    );
  });

  afterAll(async () => {
    await client.query('drop schema if exists floe_replay_test cascade');
    await client.end();
  });

  /**
   * Every table of the warehouse (raw, staging, gold and floe's own bookkeeping), each as its row
   * count and an md5 of all its rows, every column, in a fixed order: equal only if nothing in it changed.
   */
  async function contents(warehousePath: string): Promise<Record<string, { rows: number; md5: string }>> {
    const warehouse = await DuckDbWarehouse.open(warehousePath);
    try {
      const tables = await warehouse.query(
        `select table_schema || '.' || table_name as name from information_schema.tables
         where table_catalog = current_database() and table_schema not in ('information_schema', 'pg_catalog') order by 1`,
      );
      const digests: Record<string, { rows: number; md5: string }> = {};
      for (const { name } of tables) {
        const [schema, table] = String(name).split('.');
        const [digest] = await warehouse.query(
          `select count(*)::int as n, md5(coalesce(string_agg(t::varchar, chr(10) order by t::varchar), '')) as md5 from "${schema}"."${table}" t`,
        );
        digests[String(name)] = { rows: Number(digest?.['n']), md5: String(digest?.['md5']) };
      }
      return digests;
    } finally {
      await warehouse.close();
    }
  }

  it('drops a RawLanded delivered twice and re-runs a replayed one without changing the warehouse', async () => {
    // Prepare
    const config = await loadConfig(configPath);
    const warehousePath = config.warehouse.slice('duckdb://'.length);
    const [first] = await runLocally(config);
    const runId = first!.runId;
    const before = await contents(warehousePath);
    const log = (await readFile(join(config.state, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const rawLanded = log.map((line) => JSON.parse(line) as { 'detail-type': string; detail: { runId: string } })
      .find((e) => e['detail-type'] === 'RawLanded' && e.detail.runId === runId);
    // Act: the same event again, as an at-least-once bus would deliver it
    const seen: string[] = [];
    const pipeline = await openLocalPipeline(config, { onEvent: (event) => seen.push(event['detail-type']) });
    try {
      await pipeline.bus.publishEvent(rawLanded);
      await pipeline.settle();
    } finally {
      await pipeline.close();
    }
    const afterDuplicate = await contents(warehousePath);
    const replayed = await replayLocally(config, runId, 'RawLanded');
    // Assess
    expect(first!.failure).toBeNull();
    expect(before).toMatchObject({ 'raw.src__floe_replay_test__events': { rows: 1000 }, 'staging.src__floe_replay_test__events': { rows: 1000 } });
    expect(seen).toEqual(['RawLanded']);
    expect(afterDuplicate).toEqual(before);
    expect(replayed.failure).toBeNull();
    expect(await contents(warehousePath)).toEqual(before);
  });

  it('replays a request as a new run of the same table', async () => {
    // Prepare
    const config = await loadConfig(configPath);
    const [first] = await runLocally(config);
    await client.query(`update floe_replay_test.events set label = 'changed', updated_at = timestamp '2026-01-01' where id = 7`);
    // Act
    const replayed = await replayLocally(config, first!.runId, 'IngestRequested');
    // Assess
    expect(replayed.runId).not.toBe(first!.runId);
    expect(replayed.failure).toBeNull();
    expect(replayed.run).toMatchObject({ rowsExtracted: 1, updated: 1, inserted: 0 });
  });

  it('says which events a run has when the one asked for is not among them', async () => {
    const config = await loadConfig(configPath);
    const [first] = await runLocally(config);

    // Glue's own event does not carry floe's run id, so it cannot be found by run.
    await expect(replayLocally(config, first!.runId, 'Glue Job State Change')).rejects.toThrow(
      `run ${first!.runId} has no Glue Job State Change event to replay ` +
        '(it has: IngestRequested, GlueStarted, RawLanded, StageMerged, GoldBuilt)',
    );
  });
});

describe('floe run with MySQL and with a table the source does not have', () => {
  const mysqlUrl = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/floe_pipeline_my';
  let connection: mysql.Connection;
  let configPath: string;

  beforeAll(async () => {
    connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
    await connection.query(`drop database if exists floe_pipeline_my; create database floe_pipeline_my character set utf8mb4;
      create table floe_pipeline_my.orders (id bigint primary key, status varchar(20), total decimal(12,2), updated_at datetime(6));
      use floe_pipeline_my;
      insert into floe_pipeline_my.orders select seq, 'placed', seq * 1.5, '2025-01-01' + interval seq second from seq_1_to_3000`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-pipeline-my-'));
    configPath = join(folder, 'floe.config.yaml');
    await writeFile(configPath, [
      'sources:',
      '  - name: shop', '    engine: mysql', `    connection: ${mysqlUrl}`, '    tables:',
      '      - name: orders', '        primaryKey: [id]', '        incrementalColumn: updated_at',
      '        partitionColumn: id', '        partitions: 2',
      '  - name: src', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      '      - name: floe_pipeline_missing.nope', '        primaryKey: [id]',
    ].join('\n'));
  });

  afterAll(async () => {
    await connection.query('drop database if exists floe_pipeline_my');
    await connection.end();
  });

  it('lands the MySQL table exactly and names the missing one without landing anything for it', async () => {
    // Prepare
    const config = await loadConfig(configPath);
    await runLocally(config, { filter: { source: 'shop' } });
    await connection.query(`update floe_pipeline_my.orders set status = 'paid', updated_at = '2025-06-01 00:00:00.000001' where id % 10 = 0`);
    // Act
    const outcomes = await runLocally(config);
    // Assess
    const byTable = new Map(outcomes.map((o) => [o.table, o]));
    expect(byTable.get('orders')?.failure).toBeNull();
    expect(byTable.get('orders')?.run).toMatchObject({ rowsExtracted: 300, updated: 300, inserted: 0 });
    expect(byTable.get('floe_pipeline_missing.nope')?.failure).toBe(
      'extract: table floe_pipeline_missing.nope not found in database postgres',
    );
    const [rows] = await connection.query(
      "select concat(id, '|', status, '|', total, '|', date_format(updated_at, '%Y-%m-%d %H:%i:%s.%f')) as r from floe_pipeline_my.orders order by id",
    );
    const source = (rows as { r: string }[]).map((row) => row.r);
    const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
    try {
      const staged = await warehouse.query(
        `select id || '|' || status || '|' || total || '|' || strftime(updated_at, '%Y-%m-%d %H:%M:%S.%f') as r from staging."shop__orders" order by id`,
      );
      expect(staged.map((row) => String(row['r']))).toEqual(source);
      const tables = await warehouse.query(`select table_name from information_schema.tables where table_name like 'src__%'`);
      expect(tables).toEqual([]);
    } finally {
      await warehouse.close();
    }
  });
});

describe('floe run when the warehouse fails', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let configPath: string;

  beforeAll(async () => {
    await client.connect();
    await client.query('drop schema if exists floe_wfail_test cascade; create schema floe_wfail_test');
    await client.query(`create table floe_wfail_test.events (id bigint primary key, label text, updated_at timestamp(6))`);
    await client.query(`insert into floe_wfail_test.events
      select g, 'row ' || g, timestamp '2025-01-01' + g * interval '1 second' from generate_series(1, 100) g`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-wfail-'));
    configPath = join(folder, 'floe.config.yaml');
    await writeFile(configPath, ['sources:', '  - name: src', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      '      - name: floe_wfail_test.events', '        primaryKey: [id]', '        incrementalColumn: updated_at'].join('\n'));
  });

  afterAll(async () => {
    await client.query('drop schema if exists floe_wfail_test cascade');
    await client.end();
  });

  async function sabotageStaging(warehousePath: string, broken: boolean): Promise<void> {
    const warehouse = await DuckDbWarehouse.open(warehousePath);
    try {
      if (broken) {
        await warehouse.query('alter table staging."src__floe_wfail_test__events" rename to "events_aside"');
        await warehouse.query('create view staging."src__floe_wfail_test__events" as select * from staging."events_aside"');
      } else {
        await warehouse.query('drop view staging."src__floe_wfail_test__events"');
        await warehouse.query('alter table staging."events_aside" rename to "src__floe_wfail_test__events"');
      }
    } finally {
      await warehouse.close();
    }
  }

  it('keeps the watermark when MERGE fails, so the next run brings the rows in', async () => {
    // Prepare
    const config = await loadConfig(configPath);
    const warehousePath = config.warehouse.slice('duckdb://'.length);
    const state = new LocalStateStore(config.state);
    const [first] = await runLocally(config);
    const watermark = (await state.getTableState('src', 'floe_wfail_test.events')).watermark;
    await client.query(`update floe_wfail_test.events set label = 'changed', updated_at = timestamp '2025-06-01' where id <= 10`);
    await sabotageStaging(warehousePath, true);
    // Act
    const [failed] = await runLocally(config);
    const afterFailure = await state.getTableState('src', 'floe_wfail_test.events');
    await sabotageStaging(warehousePath, false);
    const [recovered] = await runLocally(config);
    // Assess
    expect(first!.failure).toBeNull();
    expect(failed!.failure).toMatch(/^load-and-merge: /);
    expect(afterFailure.watermark).toBe(watermark);
    expect(afterFailure.activeRun).toBeNull();
    expect(recovered!.failure).toBeNull();
    expect(recovered!.run).toMatchObject({ rowsExtracted: 10, updated: 10 });
    const warehouse = await DuckDbWarehouse.open(warehousePath);
    try {
      const [changed] = await warehouse.query(`select count(*)::int as n from staging."src__floe_wfail_test__events" where label = 'changed'`);
      expect(changed).toEqual({ n: 10 });
    } finally {
      await warehouse.close();
    }
  });

  it('lets an incremental run follow a full reload without reading everything again', async () => {
    // Prepare
    const config = await loadConfig(configPath);
    await runLocally(config, { full: true });
    // Act
    const [next] = await runLocally(config);
    // Assess
    expect(next!.failure).toBeNull();
    expect(next!.run).toMatchObject({ mode: 'incremental', rowsExtracted: 0 });
  });

  it('refuses to replay a run older than one already merged', async () => {
    // Prepare
    const config = await loadConfig(configPath);
    const [older] = await runLocally(config, { full: true });
    await runLocally(config, { full: true });
    // Act
    const replayed = await replayLocally(config, older!.runId, 'RawLanded');
    // Assess
    expect(replayed.failure).toMatch(/^load-and-merge: run \S+ is older than run \S+, already merged into staging; replaying it would roll staging back/);
    expect(replayed.run?.status).toBe('succeeded');
  });
});
