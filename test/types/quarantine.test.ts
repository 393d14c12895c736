import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { floe } from '../faults/project.js';
import { PG_URL, uniqueName } from '../faults/source-table.js';

/**
 * Values no destination holds exactly, through `floe run`: the default policy sets them aside
 * (NULL in staging, a row each in the rejects table next to raw), the run says so in its summary,
 * `floe status` and StageMerged; a column configured to fail stops its table's run with nothing landed.
 */

const schema = uniqueName('floe_quarantine');
const client = new pg.Client({ connectionString: PG_URL });
let folder: string;

async function project(tables: string): Promise<string> {
  const configFile = join(folder, 'floe.config.yaml');
  await writeFile(configFile, ['gold: ./gold', 'sources:', '  - name: src', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:', tables].join('\n'));
  return configFile;
}

async function warehouseRows(configFile: string, sql: string): Promise<Record<string, unknown>[]> {
  const config = await loadConfig(configFile);
  const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
  try {
    return await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

beforeAll(async () => {
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade; create schema "${schema}"`);
  await client.query(`create table "${schema}".shipments (id int primary key, shipped date, price numeric(10,2), updated_at timestamp)`);
  await client.query(`insert into "${schema}".shipments values
    (1, '2024-01-01', 1.50, '2024-01-01 00:00'), (2, 'infinity', 'NaN', '2024-01-02 00:00'), (3, '0044-03-15 BC', 2.00, '2024-01-03 00:00')`);
});

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'floe-quarantine-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

afterAll(async () => {
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

describe('Unrepresentable values through floe run', () => {
  it('are set aside by default: NULL in staging, one row each in the rejects table, counted in the summary, status and StageMerged', async () => {
    // Prepare
    const configFile = await project([`      - name: ${schema}.shipments`, '        primaryKey: [id]', '        incrementalColumn: updated_at'].join('\n'));

    // Act: a run, then one more with nothing new (the rejects must not be loaded twice)
    const first = await floe(['run', '--config', configFile]);
    await client.query(`update "${schema}".shipments set updated_at = '2024-02-01' where id = 2`);
    const second = await floe(['run', '--config', configFile]);
    const status = await floe(['status', '--config', configFile]);
    const staged = await warehouseRows(configFile, `select id, cast(shipped as varchar) as shipped, cast(price as varchar) as price from staging."src__${schema}__shipments" order by id`);
    const rejects = await warehouseRows(
      configFile,
      `select run_id, primary_key, column_name, source_value, action from raw."src__${schema}__shipments__rejects" order by run_id, primary_key, column_name`,
    );
    const events = (await readFile(join(folder, '.floe', 'state', 'events.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { 'detail-type': string; detail: { rejects?: number } });

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`ok, completed with 3 rejects (raw.src__${schema}__shipments__rejects)`);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('ok, completed with 2 rejects');
    expect(staged).toEqual([
      { id: 1, shipped: '2024-01-01', price: '1.50' },
      { id: 2, shipped: null, price: null },
      { id: 3, shipped: null, price: '2.00' },
    ]);
    expect(rejects.map(({ run_id: _run, ...rest }) => rest)).toEqual([
      { primary_key: '{"id": "2"}', column_name: 'price', source_value: 'NaN', action: 'set to NULL' },
      { primary_key: '{"id": "2"}', column_name: 'shipped', source_value: 'infinity', action: 'set to NULL' },
      { primary_key: '{"id": "3"}', column_name: 'shipped', source_value: '0044-03-15 BC', action: 'set to NULL' },
      { primary_key: '{"id": "2"}', column_name: 'price', source_value: 'NaN', action: 'set to NULL' },
      { primary_key: '{"id": "2"}', column_name: 'shipped', source_value: 'infinity', action: 'set to NULL' },
    ]);
    expect(new Set(rejects.map((row) => row['run_id'])).size).toBe(2);
    expect(status.stdout).toContain('succeeded with 2 rejects');
    expect(events.filter((e) => e['detail-type'] === 'StageMerged').map((e) => e.detail.rejects)).toEqual([3, 2]);
  });

  it('fail a table whose column is configured to fail, naming table, column and value, with nothing landed', async () => {
    // Prepare
    const configFile = await project([
      `      - name: ${schema}.shipments`, '        primaryKey: [id]', '        mode: full', '        unrepresentableColumns:', '          shipped: fail',
    ].join('\n'));

    // Act
    const run = await floe(['run', '--config', configFile]);
    const tables = await warehouseRows(configFile, "select table_name from information_schema.tables where table_schema in ('raw', 'staging')");

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`table ${schema}.shipments, column shipped (date)`);
    expect(run.stdout).toContain('0044-03-15 BC is outside 0001-01-01 … 9999-12-31');
    expect(run.stdout).toContain("set the table's `unrepresentable` policy to quarantine or coerce");
    expect(tables).toEqual([]);
  });

  it('coerce to the nearest value when the table says so, and still record each', async () => {
    // Prepare
    const configFile = await project([`      - name: ${schema}.shipments`, '        primaryKey: [id]', '        mode: full', '        unrepresentable: coerce'].join('\n'));

    // Act
    const run = await floe(['run', '--config', configFile]);
    const staged = await warehouseRows(configFile, `select id, cast(shipped as varchar) as shipped from staging."src__${schema}__shipments" order by id`);
    const actions = await warehouseRows(configFile, `select primary_key, column_name, action from raw."src__${schema}__shipments__rejects" order by primary_key, column_name`);

    // Assess
    expect(run.code).toBe(0);
    expect(staged.map((row) => row['shipped'])).toEqual(['2024-01-01', '9999-12-31', '0001-01-01']);
    expect(actions).toEqual([
      { primary_key: '{"id": "2"}', column_name: 'price', action: 'set to NULL' },
      { primary_key: '{"id": "2"}', column_name: 'shipped', action: 'set to 9999-12-31' },
      { primary_key: '{"id": "3"}', column_name: 'shipped', action: 'set to 0001-01-01' },
    ]);
  });
});
