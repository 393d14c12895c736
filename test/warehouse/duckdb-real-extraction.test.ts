import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';

const REPO = new URL('../../', import.meta.url).pathname;
const CONNECTION = 'postgresql://postgres@127.0.0.1:5432/postgres';
const TABLE = 'floe_wh_fixture.orders';

/** Runs the real extraction job (glue/extract.py) and returns its manifest. */
function extract(rawRoot: string, runId: string, watermark?: string): ManifestLike & { newWatermark: string } {
  const args = ['glue/extract.py', '--run-id', runId, '--engine', 'postgres', '--database', 'clr', '--connection', CONNECTION,
    '--table', TABLE, '--primary-key', 'id', '--mode', 'incremental', '--incremental-column', 'updated_at', '--raw-root', rawRoot];
  if (watermark !== undefined) args.push('--watermark', watermark);
  execFileSync(join(REPO, '.venv/bin/python'), args, { cwd: REPO, stdio: 'pipe' });
  return JSON.parse(readFileSync(join(rawRoot, '_manifests', `${runId}.json`), 'utf8')) as ManifestLike & { newWatermark: string };
}

describe('Warehouse: DuckDbWarehouse with the real extraction job', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;
  const source = new pg.Client({ connectionString: CONNECTION });

  beforeAll(async () => {
    await source.connect();
    await source.query(`
      create schema if not exists floe_wh_fixture;
      drop table if exists floe_wh_fixture.orders;
      create table floe_wh_fixture.orders (
        id bigint primary key, "Customer Name" text, amount_cents numeric(12, 2), paid boolean, payload bytea,
        ordered_on date, ordered_at timestamp, ship_time time, ratio double precision, updated_at timestamptz not null);
      insert into floe_wh_fixture.orders values
        (1, 'Zoë', 1234.50, true, '\\x00ff', '2025-01-02', '2025-01-02 03:04:05.123456', '12:34:56.789', 0.1, '2025-11-05 10:00:00+00'),
        (2, 'Bo', 0.01, false, null, null, null, null, null, '2025-11-05 10:00:00+00');`);
    dir = mkdtempSync(join(tmpdir(), 'floe-wh-pg-'));
    warehouse = await DuckDbWarehouse.open(join(dir, 'warehouse.duckdb'));
  });

  afterAll(async () => {
    await warehouse.close();
    await source.query('drop schema if exists floe_wh_fixture cascade');
    await source.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads and merges two real incremental runs with exact values', async () => {
    // Prepare
    const rawRoot = join(dir, 'raw');
    const first = extract(rawRoot, 'wh-r1');
    await source.query(`update floe_wh_fixture.orders set amount_cents = 99.99, updated_at = '2025-11-05 11:00:00.000001+00' where id = 1;
      insert into floe_wh_fixture.orders (id, "Customer Name", updated_at) values (3, 'new', '2025-11-05 11:00:00+00');`);
    const second = extract(rawRoot, 'wh-r2', first.newWatermark);

    // Act
    const results = [];
    for (const manifest of [first, second]) {
      const description = describeTable(manifest);
      const load = await warehouse.loadRaw(description, manifest, rawRoot);
      results.push({ load, merge: await warehouse.mergeStaging(description, manifest.runId) });
    }

    // Assess
    expect(results.map((result) => result.load.rowsLoaded)).toEqual([2, 2]);
    expect(results.map((result) => result.merge)).toEqual([
      { inserted: 2, updated: 0, deleted: 0 },
      { inserted: 1, updated: 1, deleted: 0 },
    ]);
    const rows = await warehouse.query(`
      select id, "Customer Name" as name, amount_cents::varchar as amount, paid, hex(payload) as payload, ordered_on::varchar as ordered_on,
             ordered_at::varchar as ordered_at, ship_time::varchar as ship_time, ratio, strftime(updated_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') as updated_at
      from staging.clr__floe_wh_fixture__orders order by id`);
    expect(rows).toEqual([
      { id: 1n, name: 'Zoë', amount: '99.99', paid: true, payload: '00FF', ordered_on: '2025-01-02', ordered_at: '2025-01-02 03:04:05.123456',
        ship_time: '12:34:56.789', ratio: 0.1, updated_at: '2025-11-05 11:00:00.000001' },
      { id: 2n, name: 'Bo', amount: '0.01', paid: false, payload: null, ordered_on: null, ordered_at: null, ship_time: null, ratio: null,
        updated_at: '2025-11-05 10:00:00.000000' },
      { id: 3n, name: 'new', amount: null, paid: null, payload: null, ordered_on: null, ordered_at: null, ship_time: null, ratio: null,
        updated_at: '2025-11-05 11:00:00.000000' },
    ]);
    const types = await warehouse.query(`select column_name, data_type from information_schema.columns
      where table_schema = 'staging' and table_name = 'clr__floe_wh_fixture__orders' and column_name in ('amount_cents', 'ordered_at', 'updated_at') order by 1`);
    expect(types).toEqual([
      { column_name: 'amount_cents', data_type: 'DECIMAL(12,2)' },
      { column_name: 'ordered_at', data_type: 'TIMESTAMP' },
      { column_name: 'updated_at', data_type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
  });
});
