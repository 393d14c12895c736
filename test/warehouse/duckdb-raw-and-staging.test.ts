import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';
import { ORDER_COLUMNS, writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';

/** A SELECT of order rows: [id, status, updated_at]. */
const orders = (...rows: [number, string, string][]): string =>
  rows.map(([id, status, at]) => `select ${id}::bigint as id, '${status}' as status, timestamptz '${at}' as updated_at`).join(' union all ');

// The rules every warehouse keeps are in conformance/; these are DuckDB's own.
describe('Warehouse: DuckDbWarehouse raw and staging', () => {
  let dir: string;
  let rawRoot: string;
  let warehouse: DuckDbWarehouse;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-wh-'));
    rawRoot = join(dir, 'raw');
    warehouse = await DuckDbWarehouse.open(join(dir, 'warehouse.duckdb'));
  });

  afterEach(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const loadAndMerge = async (manifest: ManifestLike) => {
    const description = describeTable(manifest);
    const load = await warehouse.loadRaw(description, manifest, rawRoot);
    const merge = await warehouse.mergeStaging(description, manifest.runId);
    return { load, merge };
  };
  const staging = async (table = '"staging"."shop__orders"') =>
    (await warehouse.query(`select id, status, _floe_run_id from ${table} order by id`)).map((row) => ({ ...row, id: Number(row['id']) }));

  it('removes rows gone from the source in full mode, in one transaction', async () => {
    // Prepare
    const full = { mode: 'full' as const, incrementalColumn: null };
    const first = await writeFixtureRun(warehouse, rawRoot, { ...full, runId: 'f1', startedAt: T1, files: [orders([1, 'a', T1], [2, 'b', T1])] });
    const second = await writeFixtureRun(warehouse, rawRoot, { ...full, runId: 'f2', startedAt: T2, files: [orders([2, 'b2', T2], [3, 'c', T2])] });
    for (const run of [first, second]) await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.replaceStaging(describeTable(first), 'f1');

    // Act
    const result = await warehouse.replaceStaging(describeTable(second), 'f2');

    // Assess
    expect(result).toEqual({ inserted: 1, updated: 1, deleted: 1 });
    expect(await staging()).toEqual([
      { id: 2, status: 'b2', _floe_run_id: 'f2' },
      { id: 3, status: 'c', _floe_run_id: 'f2' },
    ]);
  });

  it('merges a key staging holds twice (a key given to a table that had none) into one row, counting no negative insert', async () => {
    // Prepare: staging holds id 1 twice, as a keyless table's staging may before a key is configured
    const T3 = '2025-11-05T14:00:00+00:00';
    await loadAndMerge(await writeFixtureRun(warehouse, rawRoot, { runId: 'r1', startedAt: T1, files: [orders([2, 'new', T1])] }));
    await warehouse.query(`insert into "staging"."shop__orders" (id, status, updated_at, _floe_run_id, _floe_extracted_at) values (1, 'a', timestamptz '${T1}', 'r0', timestamptz '${T1}'), (1, 'b', timestamptz '${T1}', 'r0', timestamptz '${T1}')`);
    const second = await writeFixtureRun(warehouse, rawRoot, { runId: 'r2', startedAt: T3, files: [orders([1, 'paid', T2])] });

    // Act
    const { merge } = await loadAndMerge(second);

    // Assess: both stale copies go, the run's version comes once
    expect(merge).toEqual({ inserted: 0, updated: 2, deleted: 0 });
    expect(await staging()).toEqual([
      { id: 1, status: 'paid', _floe_run_id: 'r2' },
      { id: 2, status: 'new', _floe_run_id: 'r1' },
    ]);
  });

  it('refuses a column whose type changed, naming it', async () => {
    // Prepare
    const first = await writeFixtureRun(warehouse, rawRoot, { runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1])] });
    await loadAndMerge(first);
    const columns = ORDER_COLUMNS.map((column) => (column.name === 'status' ? { ...column, arrowType: 'int32' } : column));
    const second = await writeFixtureRun(warehouse, rawRoot, {
      runId: 'r2', startedAt: T2, columns, files: [`select 2::bigint as id, 7 as status, timestamptz '${T2}' as updated_at`],
    });

    // Act
    const act = warehouse.loadRaw(describeTable(second), second, rawRoot);

    // Assess
    await expect(act).rejects.toThrow(/Column status of "raw"."shop__orders" is VARCHAR .* a type change floe did not apply/);
  });

  it('works with quotes, spaces, unicode and reserved words in table and column names', async () => {
    // Prepare
    const columns = [
      { name: 'order', arrowType: 'int64', sourceType: 'bigint' },
      { name: 'say "hi"', arrowType: 'string', sourceType: 'text' },
      { name: 'größe m²', arrowType: 'decimal128(12, 2)', sourceType: 'numeric(12,2)' },
      { name: 'select', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamptz' },
    ];
    const row = (id: number, text: string, at: string) =>
      `select ${id}::bigint as "order", '${text}' as "say ""hi""", 1.50::decimal(12,2) as "größe m²", timestamptz '${at}' as "select"`;
    const run = await writeFixtureRun(warehouse, rawRoot, {
      runId: 'r1', startedAt: T1, source: 'shöp', table: 'sales.Ünicode "items"', primaryKey: ['order'], incrementalColumn: 'select', columns,
      files: [`${row(1, 'old', T1)} union all ${row(1, 'new', T2)} union all ${row(2, 'x', T1)}`],
    });

    // Act
    const { merge } = await loadAndMerge(run);

    // Assess
    expect(merge.inserted).toBe(2);
    const rows = await warehouse.query('select "order", "say ""hi""" as said from staging."shöp__sales__Ünicode ""items""" order by 1');
    expect(rows).toEqual([{ order: 1n, said: 'new' }, { order: 2n, said: 'x' }]);
  });

  it('refuses to load decimals wider than 38 digits instead of rounding them', async () => {
    // Prepare
    const columns = [...ORDER_COLUMNS, { name: 'huge', arrowType: 'decimal256(50, 10)', sourceType: 'numeric(50,10)' }];
    const run = await writeFixtureRun(warehouse, rawRoot, {
      runId: 'r1', startedAt: T1, columns, files: [`select 1::bigint as id, 'a' as status, timestamptz '${T1}' as updated_at, '1' as huge`],
    });

    // Act
    const act = warehouse.loadRaw(describeTable(run), run, rawRoot);

    // Assess
    await expect(act).rejects.toThrow(/column huge \(decimal256\(50, 10\)\) is wider than DuckDB's DECIMAL\(38\)/);
  });
});
