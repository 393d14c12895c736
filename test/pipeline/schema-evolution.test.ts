import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { SchemaChange } from '../../events/index.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { floe, type FloeResult } from '../faults/project.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../faults/source-table.js';

/**
 * Schema changes at the source, end to end: `floe run` loads a table, DDL changes it at the
 * source, `floe run` again, and the DuckDB warehouse, the run history, StageMerged and the
 * summary are checked. A change that would lose data stops that table's run with nothing landed,
 * while the other table of the config goes on.
 */

interface LoggedEvent {
  'detail-type': string;
  detail: Record<string, unknown>;
}

/** A project folder: config with two tables of one source, state, raw and DuckDB below it. */
async function writeConfig(folder: string, engine: 'postgres' | 'mysql', url: string, tables: readonly string[]): Promise<string> {
  const configFile = join(folder, 'floe.config.yaml');
  await writeFile(
    configFile,
    [
      'raw: ./raw', 'state: ./state', 'warehouse: duckdb://./warehouse.duckdb', 'gold: ./gold', 'sources:',
      '  - name: src', `    engine: ${engine}`, `    connection: ${url}`, '    tables:',
      ...tables.flatMap((table) => [`      - name: ${table}`, '        primaryKey: [id]', '        incrementalColumn: updated_at']),
      '',
    ].join('\n'),
  );
  return configFile;
}

async function warehouseQuery(folder: string, sql: string): Promise<Record<string, unknown>[]> {
  const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
  try {
    return (await warehouse.query(sql)).map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value])));
  } finally {
    await warehouse.close();
  }
}

/** `{column: type}` of a warehouse table, from information_schema. */
async function columnTypes(folder: string, schema: 'raw' | 'staging', table: string): Promise<Record<string, string>> {
  const rows = await warehouseQuery(
    folder,
    `select column_name, data_type from information_schema.columns where table_schema = '${schema}' and table_name = '${table}' and column_name not like '\\_floe\\_%' escape '\\' order by ordinal_position`,
  );
  return Object.fromEntries(rows.map((row) => [String(row['column_name']), String(row['data_type'])]));
}

async function eventsOf(folder: string): Promise<LoggedEvent[]> {
  const text = await readFile(join(folder, 'state', 'events.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LoggedEvent);
}

/** The run of `table` the last `floe run` started, from the state store. */
async function lastRun(folder: string, table: string) {
  const [run] = await new LocalStateStore(join(folder, 'state')).listRuns({ source: 'src', table, limit: 1 });
  if (!run) throw new Error(`no run of ${table}`);
  return run;
}

const kinds = (changes: readonly SchemaChange[] | undefined): string[] => (changes ?? []).map((change) => `${change.column} ${change.change}`).sort();

const run = (configFile: string): Promise<FloeResult> => floe(['run', '--config', configFile]);

describe('floe run: schema changes at a PostgreSQL source', () => {
  const schema = uniqueName('floe_schema_evo');
  const items = `${schema}.items`;
  const other = `${schema}.other`;
  const warehouseItems = `src__${schema}__items`;
  const warehouseOther = `src__${schema}__other`;
  const client = new pg.Client({ connectionString: PG_URL });
  let folder: string;
  let configFile: string;

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await client.query(`create table ${items} (
      id bigint primary key, qty integer, price numeric(10,2), label varchar(20), note text, channel text, updated_at timestamp(6) not null)`);
    await client.query(`insert into ${items} values
      (1, 1, 10.50, 'one', 'n1', 'web', '2025-01-01 00:00:01'),
      (2, 2, 20.25, 'two', 'n2', 'shop', '2025-01-01 00:00:02'),
      (3, 3, 30.00, 'three', 'n3', 'web', '2025-01-01 00:00:03')`);
    await client.query(`create table ${other} (id bigint primary key, name text, updated_at timestamp(6) not null)`);
    await client.query(`insert into ${other} values (1, 'a', '2025-01-01 00:00:01')`);
    folder = await mkdtemp(join(tmpdir(), 'floe-schema-evo-'));
    configFile = await writeConfig(folder, 'postgres', PG_URL, [items, other]);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('widens, adds and keeps dropped columns on the next run, and reports each change once', async () => {
    // Prepare: a first load, then DDL at the source and rows written after it
    expect((await run(configFile)).code).toBe(0);
    await client.query(`alter table ${items}
      alter column qty type bigint, alter column price type numeric(14,2), alter column label type varchar(200),
      add column coupon text, drop column note`);
    await client.query(`alter table ${items} rename column channel to sales_channel`);
    await client.query(`update ${items} set qty = 5000000000, price = 123456789012.75, label = repeat('x', 150), coupon = 'SAVE10',
      sales_channel = 'app', updated_at = '2025-02-01' where id = 2`);
    await client.query(`insert into ${items} values (4, 4, 40.00, 'four', 'app', '2025-02-01', 'NEW')`);

    // Act
    const second = await run(configFile);
    const third = await run(configFile);

    // Assess: the warehouse
    expect(second.code).toBe(0);
    for (const layer of ['raw', 'staging'] as const) {
      expect(await columnTypes(folder, layer, warehouseItems)).toEqual({
        id: 'BIGINT', qty: 'BIGINT', price: 'DECIMAL(14,2)', label: 'VARCHAR', note: 'VARCHAR', channel: 'VARCHAR', updated_at: 'TIMESTAMP',
        sales_channel: 'VARCHAR', coupon: 'VARCHAR',
      });
    }
    const staged = await warehouseQuery(
      folder,
      `select id, qty, price::varchar as price, length(label) as label_length, note, channel, sales_channel, coupon from staging."${warehouseItems}" order by id`,
    );
    expect(staged).toEqual([
      { id: 1, qty: 1, price: '10.50', label_length: 3, note: 'n1', channel: 'web', sales_channel: null, coupon: null },
      { id: 2, qty: 5000000000, price: '123456789012.75', label_length: 150, note: null, channel: null, sales_channel: 'app', coupon: 'SAVE10' },
      { id: 3, qty: 3, price: '30.00', label_length: 5, note: 'n3', channel: 'web', sales_channel: null, coupon: null },
      { id: 4, qty: 4, price: '40.00', label_length: 4, note: null, channel: null, sales_channel: 'app', coupon: 'NEW' },
    ]);

    // Assess: the report, in run history, StageMerged and the summary, on the run that saw the change only
    const changed = await lastRun(folder, items).then(async (newest) => (await new LocalStateStore(join(folder, 'state')).listRuns({ source: 'src', table: items, limit: 2 }))[1] ?? newest);
    expect(kinds(changed.schemaChanges)).toEqual([
      'channel dropped', 'coupon added', 'label retyped', 'note dropped', 'price widened', 'qty widened', 'sales_channel added',
    ]);
    expect(changed.schemaChanges?.find((change) => change.column === 'qty')).toEqual({
      column: 'qty', change: 'widened', from: { sourceType: 'integer', arrowType: 'int32' }, to: { sourceType: 'bigint', arrowType: 'int64' },
    });
    expect(changed.steps.find((step) => step.name === 'load-and-merge')?.details?.['schemaChanges']).toBe(7);
    const merged = (await eventsOf(folder)).find((event) => event['detail-type'] === 'StageMerged' && event.detail['runId'] === changed.runId);
    expect(merged?.detail['schemaChanges']).toEqual(changed.schemaChanges);
    expect(second.stdout).toContain('schema changes:');
    expect(second.stdout).toContain('qty widened integer → bigint');
    expect(second.stdout).toContain('note dropped (was text; kept, NULL from now on)');
    expect(third.code).toBe(0);
    expect((await lastRun(folder, items)).schemaChanges).toBeUndefined();
    expect(third.stdout).not.toContain('schema changes:');
    // floe check compares the columns the source still has (the dropped ones kept in staging are left
    // out): rows 1 and 3 differ, as their renamed column kept its values at the source but reads NULL
    // in staging until they change; a full run reloads them
    const drift = await floe(['check', '--config', configFile, '--table', items]);
    expect(drift.stdout).toContain('different keys: 1, 3');
    expect((await floe(['run', '--config', configFile, '--table', items, '--full'])).code).toBe(0);
    const check = await floe(['check', '--config', configFile, '--table', items]);
    expect(check.stdout).toContain('in sync');
    expect(check.code).toBe(0);
    expect(await warehouseQuery(folder, `select id, note, sales_channel from staging."${warehouseItems}" order by id`)).toEqual([
      { id: 1, note: null, sales_channel: 'web' },
      { id: 2, note: null, sales_channel: 'app' },
      { id: 3, note: null, sales_channel: 'web' },
      { id: 4, note: null, sales_channel: 'app' },
    ]);
  });

  it('stops the table whose column changed incompatibly, with nothing landed, and goes on with the other', async () => {
    // Prepare
    const state = new LocalStateStore(join(folder, 'state'));
    const watermark = (await state.getTableState('src', items)).watermark;
    const rawBefore = await warehouseQuery(folder, `select count(*) as n from raw."${warehouseItems}"`);
    const stagingBefore = await warehouseQuery(folder, `select * from staging."${warehouseItems}" order by id`);
    const typesBefore = await columnTypes(folder, 'staging', warehouseItems);
    await client.query(`alter table ${items} alter column coupon type integer using length(coupon)`);
    await client.query(`update ${items} set qty = 9, updated_at = '2025-03-01' where id = 1`);
    await client.query(`insert into ${other} values (2, 'b', '2025-03-01')`);

    // Act
    const result = await run(configFile);

    // Assess: the table's run failed naming table, column, old and new type
    expect(result.code).toBe(1);
    const failed = await lastRun(folder, items);
    expect(failed.status).toBe('failed');
    expect(failed.error?.name).toBe('SchemaChangeError');
    expect(failed.error?.message).toContain(`Table ${items} of source src`);
    expect(failed.error?.message).toContain('column coupon changed from text (string) to integer (int32)');
    expect(result.stdout).toContain('column coupon changed from text (string) to integer (int32)');
    const ingestFailed = (await eventsOf(folder)).find((event) => event['detail-type'] === 'IngestFailed' && event.detail['runId'] === failed.runId);
    expect(ingestFailed?.detail['errorName']).toBe('SchemaChangeError');
    // nothing landed: raw, staging, their types and the watermark are as they were
    expect(await warehouseQuery(folder, `select count(*) as n from raw."${warehouseItems}"`)).toEqual(rawBefore);
    expect(await warehouseQuery(folder, `select * from staging."${warehouseItems}" order by id`)).toEqual(stagingBefore);
    expect(await columnTypes(folder, 'staging', warehouseItems)).toEqual(typesBefore);
    expect((await state.getTableState('src', items)).watermark).toBe(watermark);
    // the other table went on
    expect((await lastRun(folder, other)).status).toBe('succeeded');
    expect(await warehouseQuery(folder, `select id, name from staging."${warehouseOther}" order by id`)).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  });

  it('lands the refused rows, and a column added since, once the refused column is changed back', async () => {
    // Prepare: coupon back to text (the last known schema) and a column added; the refused run's row is read again
    await client.query(`alter table ${items} alter column coupon type text`);
    await client.query(`alter table ${items} add column extra integer`);

    // Act
    const result = await run(configFile);

    // Assess: the refused run's row lands now, and the new column with it
    expect(result.code).toBe(0);
    const evolved = await lastRun(folder, items);
    expect(kinds(evolved.schemaChanges)).toEqual(['extra added']);
    expect(await columnTypes(folder, 'staging', warehouseItems)).toMatchObject({ coupon: 'VARCHAR', extra: 'INTEGER' });
    expect(await warehouseQuery(folder, `select id, qty, coupon, extra from staging."${warehouseItems}" where id = 1`)).toEqual([{ id: 1, qty: 9, coupon: null, extra: null }]);
    const merged = (await eventsOf(folder)).find((event) => event['detail-type'] === 'StageMerged' && event.detail['runId'] === evolved.runId);
    expect(merged?.detail['schemaChanges']).toEqual([{ column: 'extra', change: 'added', to: { sourceType: 'integer', arrowType: 'int32' } }]);
  });

  it('adds a column on a run that brings no rows at all', async () => {
    // Prepare
    await client.query(`alter table ${items} add column flag boolean`);

    // Act
    const result = await run(configFile);

    // Assess
    expect(result.code).toBe(0);
    const evolved = await lastRun(folder, items);
    expect(evolved.rowsExtracted).toBe(0);
    expect(kinds(evolved.schemaChanges)).toEqual(['flag added']);
    expect(await columnTypes(folder, 'raw', warehouseItems)).toMatchObject({ flag: 'BOOLEAN' });
    expect(await columnTypes(folder, 'staging', warehouseItems)).toMatchObject({ flag: 'BOOLEAN' });
    // Staging gained a column, so gold is rebuilt even though no row came.
    const merged = (await eventsOf(folder)).find((event) => event['detail-type'] === 'StageMerged' && event.detail['runId'] === evolved.runId);
    expect(merged?.detail['noChange']).toBe(false);
  });
});

describe('floe run: schema changes at a MariaDB source', () => {
  const database = uniqueName('floe_schema_evo');
  const table = 'orders';
  const warehouseTable = `src__${table}`;
  let connection: mysql.Connection;
  let folder: string;
  let configFile: string;

  beforeAll(async () => {
    connection = await mysql.createConnection(`${MYSQL_URL}/`);
    await connection.query(`drop database if exists ${database}`);
    await connection.query(`create database ${database}`);
    await connection.query(`create table ${database}.${table} (id bigint primary key, qty int, total float, code varchar(10), updated_at datetime(6) not null)`);
    await connection.query(`insert into ${database}.${table} values (1, 1, 1.5, 'a', '2025-01-01 00:00:01'), (2, 2, 2.5, 'b', '2025-01-01 00:00:02')`);
    folder = await mkdtemp(join(tmpdir(), 'floe-schema-evo-mysql-'));
    configFile = await writeConfig(folder, 'mysql', `${MYSQL_URL}/${database}`, [table]);
  });

  afterAll(async () => {
    await connection.query(`drop database if exists ${database}`);
    await connection.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('widens int to bigint and float to double, adds a column, then stops on varchar → int', async () => {
    // Prepare
    expect((await run(configFile)).code).toBe(0);
    await connection.query(`alter table ${database}.${table} modify qty bigint, modify total double, add column note text`);
    await connection.query(`update ${database}.${table} set qty = 5000000000, total = 0.1, note = 'x', updated_at = '2025-02-01' where id = 2`);

    // Act
    const widened = await run(configFile);
    await connection.query(`update ${database}.${table} set code = cast(id + 6 as char)`);
    await connection.query(`alter table ${database}.${table} modify code int`);
    await connection.query(`update ${database}.${table} set updated_at = '2025-03-01' where id = 1`);
    const refused = await run(configFile);

    // Assess
    expect(widened.code).toBe(0);
    expect(kinds((await new LocalStateStore(join(folder, 'state')).listRuns({ source: 'src', table, limit: 2 }))[1]?.schemaChanges)).toEqual([
      'note added', 'qty widened', 'total widened',
    ]);
    expect(await columnTypes(folder, 'staging', warehouseTable)).toEqual({ id: 'BIGINT', qty: 'BIGINT', total: 'DOUBLE', code: 'VARCHAR', updated_at: 'TIMESTAMP', note: 'VARCHAR' });
    expect(await warehouseQuery(folder, `select id, qty, total, code, note from staging."${warehouseTable}" order by id`)).toEqual([
      { id: 1, qty: 1, total: 1.5, code: 'a', note: null },
      { id: 2, qty: 5000000000, total: 0.1, code: 'b', note: 'x' },
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('column code changed from varchar(10) (string) to int(11) (int32)');
  });
});
