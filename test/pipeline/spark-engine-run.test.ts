import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import { runCommand } from '../../cli/run.js';
import { statusCommand, type TableStatus } from '../../cli/status.js';
import { loadConfig } from '../../config/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../faults/source-table.js';
import { captureOutput } from '../cli/helpers.js';

/**
 * Tables on the Spark engine through `floe run`, a first run and an incremental one: the window read
 * over JDBC lands staging equal to the source row by row, and the choice of engine (the table's own,
 * or `auto` past the config's threshold) is said by `floe run`, `floe status` and the run history.
 * The type matrix (test/types/type-matrix.test.ts) compares every type's values on both engines;
 * this is about the windows and the choice.
 */

/** The rows both sides hold, each as the text of its values, in key order. */
type Rows = string[];

interface Source {
  name: 'postgres' | 'mysql';
  url: string;
  schema: string;
  setUp(): Promise<void>;
  execute(sql: string): Promise<void>;
  rows(table: string): Promise<Rows>;
  tearDown(): Promise<void>;
}

const row = (r: Record<string, unknown>): string => [r['id'], r['note'], r['amount']].map((v) => (v === null ? 'NULL' : String(v))).join('|');

/** Rows 1..300 stamped in 2025 (the past, so no open transaction or clock holds the watermark back). */
const SEED_ROWS = 300;

function postgresSource(): Source {
  const schema = uniqueName('floe_spark_run');
  const client = new pg.Client({ connectionString: PG_URL });
  return {
    name: 'postgres', url: PG_URL, schema,
    async setUp() {
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade; create schema "${schema}"`);
      for (const table of ['events', 'sized']) {
        await client.query(`create table "${schema}"."${table}" (id bigint primary key, note text, amount numeric(30,10), updated_at timestamptz not null)`);
        await client.query(`insert into "${schema}"."${table}" select g, 'note ' || g, g / 7.0, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, ${SEED_ROWS}) g`);
      }
      await client.query(`analyze "${schema}"."sized"`);
    },
    async execute(sql) {
      await client.query(sql.replaceAll('$S', `"${schema}"`));
    },
    async rows(table) {
      const result = await client.query({ text: `select id, note, amount from "${schema}"."${table}" order by id`, types: { getTypeParser: () => (value: string) => value } });
      return result.rows.map(row);
    },
    async tearDown() {
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

function mysqlSource(): Source {
  const database = uniqueName('floe_spark_run');
  let connection: mysql.Connection;
  return {
    name: 'mysql', url: `${MYSQL_URL}/${database}`, schema: database,
    async setUp() {
      connection = await mysql.createConnection({ uri: MYSQL_URL, timezone: 'Z', multipleStatements: true });
      await connection.query(`drop database if exists \`${database}\`; create database \`${database}\` character set utf8mb4`);
      for (const table of ['events', 'sized']) {
        await connection.query(`create table \`${database}\`.\`${table}\` (id bigint primary key, note text, amount decimal(30,10), updated_at datetime(6) not null)`);
        await connection.query(`insert into \`${database}\`.\`${table}\` select seq, concat('note ', seq), seq / 7.0, timestamp '2025-01-01 00:00:00' + interval seq second from \`${database}\`.seq_1_to_${SEED_ROWS}`);
      }
      await connection.query(`analyze table \`${database}\`.\`sized\``);
    },
    async execute(sql) {
      await connection.query(sql.replaceAll('$S', `\`${database}\``));
    },
    async rows(table) {
      const [rows] = await connection.query(`select id, note, cast(amount as char) as amount from \`${database}\`.\`${table}\` order by id`);
      return (rows as Record<string, unknown>[]).map(row);
    },
    async tearDown() {
      await connection.query(`drop database if exists \`${database}\``);
      await connection.end();
    },
  };
}

describe.each([postgresSource(), mysqlSource()])('Pipeline: tables on the Spark engine through floe run, from $name', (source) => {
  let folder: string;
  let configFile: string;

  const stagedRows = async (table: string): Promise<Rows> => {
    const config = await loadConfig(configFile);
    const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
    try {
      const rows = await warehouse.query(`select id, note, cast(amount as varchar) as amount from staging."src__${source.schema}__${table}" order by id`);
      return rows.map(row);
    } finally {
      await warehouse.close();
    }
  };

  const status = async (): Promise<TableStatus[]> => JSON.parse((await captureOutput(() => statusCommand(['--config', configFile, '--json']))).stdout) as TableStatus[];

  beforeAll(async () => {
    await source.setUp();
    folder = await mkdtemp(join(tmpdir(), 'floe-spark-run-'));
    configFile = join(folder, 'floe.config.yaml');
    // `sized` says nothing of its engine: auto, past a threshold below its few kilobytes.
    await writeFile(configFile, [
      'gold: ./gold', 'spark:', '  autoAboveGb: 0.000001', 'sources:', '  - name: src', `    engine: ${source.name}`, `    connection: ${source.url}`, '    tables:',
      `      - name: ${source.schema}.events`, '        primaryKey: [id]', '        incrementalColumn: updated_at',
      '        engine: spark', '        partitionColumn: id', '        partitions: 3',
      `      - name: ${source.schema}.sized`, '        primaryKey: [id]', '        mode: full', '        partitionColumn: id',
    ].join('\n'));
  }, 60_000);

  afterAll(async () => {
    await source.tearDown();
    await rm(folder, { recursive: true, force: true });
  });

  it('lands both tables equal to the source on a first run, saying each ran on Spark and why', async () => {
    // Act
    const { code, stdout, stderr } = await captureOutput(() => runCommand(['--config', configFile]));

    // Assess
    expect(code).toBe(0);
    expect(await stagedRows('events')).toEqual(await source.rows('events'));
    expect(await stagedRows('sized')).toEqual(await source.rows('sized'));
    const summary = (table: string) => stdout.split('\n').find((line) => line.startsWith(`src/${source.schema}.${table} `)) ?? '';
    expect(summary('events')).toMatch(/ok, on spark \(engine: spark; 2 × G\.1X\)/);
    expect(summary('sized')).toMatch(/ok, on spark \(auto: ~\d+ MB ≥ 1 MB; 2 × G\.1X\)/);
    expect(stderr).toContain(`src/${source.schema}.events: GlueStarted (floe-extract-spark)`);
    const statuses = await status();
    expect(statuses.map((s) => [s.table, s.lastRun?.status, s.lastRun?.extractionEngine])).toEqual([
      [`${source.schema}.events`, 'succeeded', 'spark'], [`${source.schema}.sized`, 'succeeded', 'spark'],
    ]);
    expect(statuses[1]?.lastRun?.engineReason).toMatch(/^auto: ~\d+ MB ≥ 1 MB/);
  }, 300_000);

  it('reads only the window on the next run and lands the changes in staging, value by value', async () => {
    // Prepare: changes stamped after the watermark, one row changed without a new stamp (outside the window)
    const firstWatermark = (await status())[0]?.watermark;
    await source.execute("update $S.events set note = 'changed', amount = 12345678901234567890.0123456789, updated_at = '2025-06-01 00:00:00' where id in (5, 150, 300)");
    await source.execute("insert into $S.events (id, note, amount, updated_at) values (301, 'new', null, '2025-06-01 00:00:01'), (302, null, -0.0000000001, '2025-06-01 00:00:02')");
    await source.execute("update $S.events set note = 'unseen' where id = 7");
    const expected = (await source.rows('events')).map((r) => (r.startsWith('7|') ? r.replace('unseen', 'note 7') : r));

    // Act
    const { code, stdout } = await captureOutput(() => runCommand(['--config', configFile, '--table', `${source.schema}.events`]));

    // Assess
    expect(code).toBe(0);
    expect(stdout.split('\n').find((line) => line.startsWith(`src/${source.schema}.events `))).toMatch(/incremental +5 +2 +3 .*on spark/);
    expect(await stagedRows('events')).toEqual(expected);
    const [events] = await status();
    expect([events?.lastRun?.rowsExtracted, events?.lastRun?.extractionEngine]).toEqual([5, 'spark']);
    expect(events?.watermark).not.toBe(firstWatermark);
  }, 300_000);
});
