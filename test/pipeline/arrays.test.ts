import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { captureOutput } from '../cli/helpers.js';
import { floe } from '../faults/project.js';
import { PG_URL, uniqueName } from '../faults/source-table.js';

/**
 * PostgreSQL arrays end to end: `floe run` lands them as DuckDB LISTs holding the source's
 * elements, `floe check` compares them exactly, a value no list holds is set aside visibly, and a
 * column loaded as array text before floe landed lists is refused until it is renamed and the
 * table reloaded in full.
 */

type Row = Record<string, unknown>;

async function inWarehouse(file: string, sql: string): Promise<Row[]> {
  const warehouse = await DuckDbWarehouse.open(file);
  try {
    return await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

async function check(configFile: string, table: string): Promise<{ code: number; result: TableCheck | undefined }> {
  const { code, stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--table', table, '--json']));
  return { code, result: (JSON.parse(stdout) as TableCheck[])[0] };
}

describe('floe run and floe check: PostgreSQL arrays in DuckDB', () => {
  const schema = uniqueName('floe_arrays');
  const tagged = `${schema}.tagged`;
  const legacy = `${schema}.legacy`;
  const staging = (table: string) => `staging."src__${table.replace('.', '__')}"`;
  const client = new pg.Client({ connectionString: PG_URL });
  const columns = ['tags', 'grid', 'prices', 'days'] as const;
  let folder: string;
  let configFile: string;
  let warehouseFile: string;

  /** Each column's array as PostgreSQL prints each element (in storage order) and its dimensions, by id. */
  async function sourceArrays(): Promise<Map<number, Row>> {
    const select = columns.map((c) => `array_dims(${c}) as "${c} dims", array(select case when e is null then null else concat(e) end from unnest(${c}) as e) as "${c}"`);
    const { rows } = await client.query<Row>(`select id, ${select.join(', ')} from ${tagged} where ${columns.map((c) => `${c} is not null`).join(' and ')} order by id`);
    return new Map(rows.map((row) => [Number(row['id']), row]));
  }

  /** The same from staging: the LIST's length at each level, and its elements flattened, each as DuckDB prints it. */
  async function stagedArrays(): Promise<Map<number, Row>> {
    const dims = (c: string, depth: number) =>
      `case when len(${c}) = 0 then null else ${Array.from({ length: depth }, (_, level) => `'[1:' || len(${c}${'[1]'.repeat(level)}) || ']'`).join(' || ')} end as "${c} dims"`;
    const flat = (c: string, depth: number) => (depth === 1 ? c : `flatten(${c})`);
    const select = columns.map((c) => {
      const depth = c === 'grid' ? 2 : 1;
      return `${dims(c, depth)}, cast(to_json(list_transform(${flat(c, depth)}, lambda e: cast(e as varchar))) as varchar) as "${c}"`;
    });
    const rows = await inWarehouse(warehouseFile, `select id, ${select.join(', ')} from ${staging(tagged)} where ${columns.map((c) => `${c} is not null`).join(' and ')} order by id`);
    return new Map(rows.map((row) => [Number(row['id']), { ...row, ...Object.fromEntries(columns.map((c) => [c, JSON.parse(String(row[c])) as unknown])) }]));
  }

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await client.query(`create table ${tagged} (id bigint primary key, tags text[], grid int[][], prices numeric(10,2)[], days date[], updated_at timestamptz(6) not null)`);
    await client.query(`insert into ${tagged} values
      (1, array['a b', 'q"uote', 'back\\slash', null, '', 'NULL', 'comma,brace}'], '{{1,2},{3,NULL}}', '{1.50,NULL,-99999999.99}', '{2024-02-29,0001-01-01}', '2025-01-01 00:00:01+00'),
      (2, '{}', '{}', '{}', '{NULL}', '2025-01-01 00:00:02+00'),
      (3, null, null, null, null, '2025-01-01 00:00:03+00')`);
    await client.query(`create table ${legacy} (id bigint primary key, tags text, updated_at timestamptz(6) not null)`);
    await client.query(`insert into ${legacy} values (1, '{a,"b c"}', '2025-01-01 00:00:01+00'), (2, '{}', '2025-01-01 00:00:02+00')`);
    folder = await mkdtemp(join(tmpdir(), 'floe-arrays-'));
    configFile = join(folder, 'floe.config.yaml');
    warehouseFile = join(folder, 'warehouse.duckdb');
    await writeFile(configFile, [
      'raw: ./raw', 'state: ./state', 'warehouse: duckdb://./warehouse.duckdb', 'gold: ./gold', 'sources:',
      '  - name: src', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      ...[tagged, legacy].flatMap((table) => [`      - name: ${table}`, '        primaryKey: [id]', '        incrementalColumn: updated_at']),
      '',
    ].join('\n'));
  }, 30_000);

  afterAll(async () => {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('lands every array as a LIST holding the source elements, at the depth the column declares', async () => {
    // Act
    const result = await floe(['run', '--config', configFile]);

    // Assess
    expect(result.code).toBe(0);
    const types = await inWarehouse(warehouseFile, `select column_name, data_type from information_schema.columns where table_schema = 'staging' and table_name = 'src__${schema}__tagged' and column_name in ('tags', 'grid', 'prices', 'days') order by column_name`);
    expect(types.map((row) => `${String(row['column_name'])} ${String(row['data_type'])}`)).toEqual(['days DATE[]', 'grid INTEGER[][]', 'prices DECIMAL(10,2)[]', 'tags VARCHAR[]']);
    const source = await sourceArrays();
    const landed = await stagedArrays();
    expect([...landed.keys()]).toEqual([1, 2]);
    for (const id of source.keys()) {
      for (const column of columns) {
        expect({ id, column, dims: landed.get(id)?.[`${column} dims`], elements: landed.get(id)?.[column] }).toEqual({ id, column, dims: source.get(id)?.[`${column} dims`], elements: source.get(id)?.[column] });
      }
    }
    expect(landed.get(1)?.['tags']).toEqual(['a b', 'q"uote', 'back\\slash', null, '', 'NULL', 'comma,brace}']);
    expect(await inWarehouse(warehouseFile, `select tags, grid from ${staging(tagged)} where id = 3`)).toEqual([{ tags: null, grid: null }]);
  });

  it('checks in sync, then finds a changed element in staging and one at the source', async () => {
    // Prepare
    const before = await check(configFile, tagged);
    await inWarehouse(warehouseFile, `update ${staging(tagged)} set grid = [[1, 2], [3, 4]] where id = 1`);
    await client.query(`update ${tagged} set prices[1] = 1.51 where id = 1`);
    await client.query(`update ${tagged} set days = '{2024-01-01}' where id = 2`);

    // Act
    const after = await check(configFile, tagged);

    // Assess
    expect([before.code, before.result?.status, before.result?.drift?.sourceRows]).toEqual([0, 'in sync', 3]);
    expect([after.code, after.result?.status]).toEqual([1, 'drift']);
    expect(after.result?.drift).toMatchObject({ missing: [], extra: [], different: [{ id: 1 }, { id: 2 }] });
  });

  it('sets aside a value no list holds, as NULL recorded in the rejects table with its source text', async () => {
    // Prepare: an infinite date element, and a 1-D value in a 2-D column
    await client.query(`insert into ${tagged} values (4, '{x}', '{5,6}', '{0.01}', '{infinity}', '2025-02-01 00:00:00+00')`);

    // Act
    const result = await floe(['run', '--config', configFile, '--table', tagged]);

    // Assess
    expect(result.code).toBe(0);
    expect(await inWarehouse(warehouseFile, `select cast(tags as varchar) as tags, grid, days from ${staging(tagged)} where id = 4`)).toEqual([{ tags: '[x]', grid: null, days: null }]);
    const rejects = await inWarehouse(warehouseFile, `select column_name, source_value, action from raw."src__${schema}__tagged__rejects" order by column_name`);
    expect(rejects).toEqual([
      { column_name: 'days', source_value: '{infinity}', action: 'set to NULL' },
      { column_name: 'grid', source_value: '{5,6}', action: 'set to NULL' },
    ]);
  });

  it('refuses a column loaded as array text that now lands as a list until it is renamed and the table reloaded in full', async () => {
    // Prepare: the column holds PostgreSQL's array text in raw and staging, as every array did before floe landed lists
    const state = new LocalStateStore(join(folder, 'state'));
    await client.query(`alter table ${legacy} alter column tags type text[] using tags::text[]`);
    await client.query(`update ${legacy} set updated_at = '2025-02-01 00:00:00+00' where id = 1`);
    const watermark = (await state.getTableState('src', legacy)).watermark;

    // Act
    const refused = await floe(['run', '--config', configFile, '--table', legacy]);
    const [failed] = await state.listRuns({ source: 'src', table: legacy, limit: 1 });
    const watermarkAfterRefusal = (await state.getTableState('src', legacy)).watermark;
    const stagedText = await inWarehouse(warehouseFile, `select cast(id as integer) as id, tags from ${staging(legacy)} order by id`);
    await inWarehouse(warehouseFile, `alter table raw."src__${schema}__legacy" rename column tags to tags_text`);
    await inWarehouse(warehouseFile, `alter table ${staging(legacy)} rename column tags to tags_text`);
    const reloaded = await floe(['run', '--config', configFile, '--table', legacy, '--full']);

    // Assess: refused, naming the table, the column and what to do, with nothing landed
    expect(refused.code).toBe(1);
    expect(failed?.error?.name).toBe('SchemaChangeError');
    expect(failed?.error?.message).toContain(`Table ${legacy} of source src: column tags holds text (VARCHAR: PostgreSQL's array text) in "raw"."src__${schema}__legacy" and "staging"."src__${schema}__legacy"`);
    expect(failed?.error?.message).toContain(`then reload the table in full (floe run --full --source src --table ${legacy})`);
    expect(stagedText).toEqual([{ id: 1, tags: '{a,"b c"}' }, { id: 2, tags: '{}' }]);
    expect(watermarkAfterRefusal).toBe(watermark);
    // once renamed, the full reload lands every row's list; the text stays in the renamed column's raw rows only
    expect(reloaded.code).toBe(0);
    expect(await inWarehouse(warehouseFile, `select cast(id as integer) as id, cast(tags as varchar) as tags, tags_text from ${staging(legacy)} order by id`)).toEqual([
      { id: 1, tags: '[a, b c]', tags_text: null },
      { id: 2, tags: '[]', tags_text: null },
    ]);
    expect(await check(configFile, legacy)).toMatchObject({ code: 0, result: { status: 'in sync' } });
  });
});
