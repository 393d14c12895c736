import { describeTable, REJECT_COLUMNS, rejectsLoadFor, type ManifestLike } from '../../../warehouse/table-description.js';
import { WarehouseError } from '../../../warehouse/warehouse-error.js';
import { ORDER_COLUMNS } from '../../fixtures/warehouse/parquet-run.js';
import { readRows } from './rows.js';
import type { WarehouseFactory, WarehouseUnderTest } from './warehouse-factory.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';
const T3 = '2025-11-05T14:00:00+00:00';

/** A DuckDB SELECT of order rows [id, status, updated_at], written to one Parquet file. */
export const orders = (...rows: [number, string, string][]): string =>
  rows.map(([id, status, at]) => `select ${id}::bigint as id, '${status}' as status, timestamptz '${at}' as updated_at`).join(' union all ');

/** The raw load and incremental MERGE rules every warehouse keeps; `name` says which one runs them. */
export function describeRawAndStaging(name: string, fresh: WarehouseFactory): void {
  describe(`Warehouse: raw and staging (${name})`, () => {
    let under: WarehouseUnderTest;

    beforeEach(async () => {
      under = await fresh();
    });

    afterEach(async () => {
      await under.close();
    });

    const loadAndMerge = async (manifest: ManifestLike) => {
      const description = describeTable(manifest);
      const load = await under.warehouse.loadRaw(description, manifest, under.rawRoot);
      const merge = await under.warehouse.mergeStaging(description, manifest.runId);
      return { load, merge };
    };
    const staging = () => readRows(under, 'staging', ['id', 'status', '_floe_run_id']);

    it('loads and merges a run so staging has one row per key with the newest version', async () => {
      // Prepare
      const run = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1]), orders([1, 'paid', T2])] });

      // Act
      const { load, merge } = await loadAndMerge(run);

      // Assess
      expect(load).toEqual({ rowsLoaded: 3, filesLoaded: 2, alreadyLoaded: false });
      expect(merge).toEqual({ inserted: 2, updated: 0, deleted: 0 });
      expect(await staging()).toEqual([
        { id: 1, status: 'paid', _floe_run_id: 'r1' },
        { id: 2, status: 'new', _floe_run_id: 'r1' },
      ]);
      const raw = await readRows(under, 'raw', ['id', 'status', '_floe_run_id', '_floe_file']);
      expect(raw.map((row) => [row['id'], row['_floe_run_id'], row['_floe_file']])).toEqual([
        [1, 'r1', run.files[0]?.path],
        [1, 'r1', run.files[1]?.path],
        [2, 'r1', run.files[0]?.path],
      ]);
    });

    it('keeps one row per key when a later run holds a key twice', async () => {
      // Prepare
      await loadAndMerge(await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1])] }));
      const second = await under.writeRun({ runId: 'r2', startedAt: T2, files: [orders([1, 'paid', T2], [3, 'new', T2]), orders([1, 'shipped', T3])] });

      // Act
      const { merge } = await loadAndMerge(second);

      // Assess
      expect(merge).toEqual({ inserted: 1, updated: 1, deleted: 0 });
      expect(await staging()).toEqual([
        { id: 1, status: 'shipped', _floe_run_id: 'r2' },
        { id: 2, status: 'new', _floe_run_id: 'r1' },
        { id: 3, status: 'new', _floe_run_id: 'r2' },
      ]);
    });

    it('changes nothing when the same manifest is loaded twice', async () => {
      // Prepare
      const run = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1])] });
      await loadAndMerge(run);

      // Act
      const { load, merge } = await loadAndMerge(run);

      // Assess
      expect(load).toEqual({ rowsLoaded: 0, filesLoaded: 0, alreadyLoaded: true });
      expect(merge).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      expect(await readRows(under, 'raw', ['id', '_floe_run_id'])).toEqual([{ id: 1, _floe_run_id: 'r1' }]);
      expect(await staging()).toEqual([{ id: 1, status: 'new', _floe_run_id: 'r1' }]);
    });

    it('does not let an older version arriving later overwrite a newer one', async () => {
      // Prepare
      const newer = await under.writeRun({ runId: 'r-new', startedAt: T3, files: [orders([1, 'shipped', T2])] });
      const older = await under.writeRun({ runId: 'r-late', startedAt: T3, files: [orders([1, 'new', T1], [2, 'new', T1])] });
      await loadAndMerge(newer);

      // Act
      const { merge } = await loadAndMerge(older);

      // Assess
      expect(merge).toEqual({ inserted: 1, updated: 0, deleted: 0 });
      expect(await staging()).toEqual([
        { id: 1, status: 'shipped', _floe_run_id: 'r-new' },
        { id: 2, status: 'new', _floe_run_id: 'r-late' },
      ]);
    });

    it('breaks ties on the incremental column by extraction time', async () => {
      // Prepare
      const later = await under.writeRun({ runId: 'r-later', startedAt: T3, files: [orders([1, 'fixed', T1])] });
      const earlier = await under.writeRun({ runId: 'r-earlier', startedAt: T2, files: [orders([1, 'stale', T1])] });
      await loadAndMerge(earlier);
      await loadAndMerge(later);

      // Act: the earlier extraction is replayed after the later one
      const { merge } = await loadAndMerge(earlier);

      // Assess
      expect(merge).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      expect(await staging()).toEqual([{ id: 1, status: 'fixed', _floe_run_id: 'r-later' }]);
    });

    it('merges on a composite key: newer versions replace, older ones and the same run leave rows alone, new keys are added', async () => {
      // Prepare: keys (shop, id); id alone repeats across shops
      const columns = [{ name: 'shop', arrowType: 'string', sourceType: 'text' }, ...ORDER_COLUMNS];
      const row = (shop: string, id: number, status: string, at: string) => `select '${shop}' as shop, ${id}::bigint as id, '${status}' as status, timestamptz '${at}' as updated_at`;
      const keyed = { primaryKey: ['shop', 'id'], columns };
      await loadAndMerge(await under.writeRun({ ...keyed, runId: 'r1', startedAt: T1, files: [[row('a', 1, 'new', T2), row('b', 1, 'new', T1), row('a', 2, 'new', T1)].join(' union all ')] }));
      const second = await under.writeRun({
        ...keyed, runId: 'r2', startedAt: T2,
        files: [[row('a', 1, 'stale', T1), row('b', 1, 'paid', T2), row('b', 2, 'new', T2), row('b', 2, 'paid', T3)].join(' union all ')],
      });

      // Act
      const { merge } = await loadAndMerge(second);
      const again = await under.warehouse.mergeStaging(describeTable(second), 'r2');

      // Assess: (a,1) is newer in staging; (b,1) is replaced; (b,2) is new, its newest version kept; (a,2) untouched
      expect(merge).toEqual({ inserted: 1, updated: 1, deleted: 0 });
      expect(again).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      expect(await readRows(under, 'staging', ['shop', 'id', 'status', '_floe_run_id'])).toEqual([
        { shop: 'a', id: 1, status: 'new', _floe_run_id: 'r1' },
        { shop: 'a', id: 2, status: 'new', _floe_run_id: 'r1' },
        { shop: 'b', id: 1, status: 'paid', _floe_run_id: 'r2' },
        { shop: 'b', id: 2, status: 'paid', _floe_run_id: 'r2' },
      ]);
    });

    it('adds a new source column to raw and staging, leaving older rows NULL', async () => {
      // Prepare
      await loadAndMerge(await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1])] }));
      const columns = [...ORDER_COLUMNS, { name: 'Coupon Code', arrowType: 'string', sourceType: 'text' }];
      const second = await under.writeRun({
        runId: 'r2', startedAt: T2, columns,
        files: [`select 2::bigint as id, 'new' as status, timestamptz '${T2}' as updated_at, 'SAVE10' as "Coupon Code"`],
      });

      // Act
      await loadAndMerge(second);

      // Assess
      expect(await readRows(under, 'staging', ['id', 'Coupon Code'])).toEqual([{ id: 1, 'Coupon Code': null }, { id: 2, 'Coupon Code': 'SAVE10' }]);
      expect(await readRows(under, 'raw', ['id', 'Coupon Code'])).toEqual([{ id: 1, 'Coupon Code': null }, { id: 2, 'Coupon Code': 'SAVE10' }]);
    });

    it('rolls back and names the file when its row count differs from the manifest', async () => {
      // Prepare
      const good = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'a', T1]), orders([2, 'b', T1])] });
      const bad = structuredClone(good) as { files: { path: string; rows: number }[] } & ManifestLike;
      const wrongFile = bad.files[1];
      if (wrongFile) wrongFile.rows = 5;

      // Act
      const act = under.warehouse.loadRaw(describeTable(bad), bad, under.rawRoot);

      // Assess
      await expect(act).rejects.toThrow(WarehouseError);
      await expect(under.warehouse.loadRaw(describeTable(bad), bad, under.rawRoot)).rejects.toThrow(`File ${wrongFile?.path} of run r1 has 1 rows`);
      expect(await under.warehouse.loadRaw(describeTable(good), good, under.rawRoot)).toEqual({ rowsLoaded: 2, filesLoaded: 2, alreadyLoaded: false });
      expect(await readRows(under, 'raw', ['id', '_floe_run_id'])).toEqual([{ id: 1, _floe_run_id: 'r1' }, { id: 2, _floe_run_id: 'r1' }]);
    });

    it('counts a first full load by its keys, one row kept for a key the run holds twice, and replaces what it loaded', async () => {
      // Prepare: staging is empty, so the replace is an insert and the counts are the insert's own
      const full = { mode: 'full' as const, incrementalColumn: null };
      const first = await under.writeRun({ ...full, runId: 'f1', startedAt: T1, files: [orders([1, 'a', T1], [2, 'b', T1], [2, 'b2', T2])] });
      const second = await under.writeRun({ ...full, runId: 'f2', startedAt: T2, files: [orders([2, 'c', T2])] });
      for (const run of [first, second]) await under.warehouse.loadRaw(describeTable(run), run, under.rawRoot);

      // Act
      const loaded = await under.warehouse.replaceStaging(describeTable(first), 'f1');
      const afterFirst = await staging();
      const replaced = await under.warehouse.replaceStaging(describeTable(second), 'f2');

      // Assess
      expect(loaded).toEqual({ inserted: 2, updated: 0, deleted: 0 });
      expect(afterFirst).toEqual([
        { id: 1, status: 'a', _floe_run_id: 'f1' },
        { id: 2, status: 'b2', _floe_run_id: 'f1' },
      ]);
      expect(replaced).toEqual({ inserted: 0, updated: 1, deleted: 1 });
      expect(await staging()).toEqual([{ id: 2, status: 'c', _floe_run_id: 'f2' }]);
    });

    it('removes rows gone from the source in full mode', async () => {
      // Prepare
      const full = { mode: 'full' as const, incrementalColumn: null };
      const first = await under.writeRun({ ...full, runId: 'f1', startedAt: T1, files: [orders([1, 'a', T1], [2, 'b', T1])] });
      const second = await under.writeRun({ ...full, runId: 'f2', startedAt: T2, files: [orders([2, 'b2', T2], [3, 'c', T2])] });
      for (const run of [first, second]) await under.warehouse.loadRaw(describeTable(run), run, under.rawRoot);
      await under.warehouse.replaceStaging(describeTable(first), 'f1');

      // Act
      const result = await under.warehouse.replaceStaging(describeTable(second), 'f2');

      // Assess
      expect(result).toEqual({ inserted: 1, updated: 1, deleted: 1 });
      expect(await staging()).toEqual([
        { id: 2, status: 'b2', _floe_run_id: 'f2' },
        { id: 3, status: 'c', _floe_run_id: 'f2' },
      ]);
    });

    // Table names with spaces or quotes are covered by duckdb-raw-and-staging.test.ts and, for Snowflake, by
    // golden SQL: fakesnow's COPY describes its target table unquoted, so it cannot load into one.
    it("lands a run's rejects file in the rejects table beside its raw table, once however often it is loaded", async () => {
      // Prepare: a run that set two values aside, and its rejects file as the job writes it (quarantine.py)
      const run = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1])] });
      const reject = (key: string, value: string) =>
        `select 'r1' as run_id, '${key}' as primary_key, 'amount' as column_name, '${value}' as source_value, 'NaN has no decimal form' as reason, 'quarantined' as action`;
      const rejectsRun = await under.writeRun({
        runId: 'r1', startedAt: T1, table: 'orders__rejects', mode: 'full', primaryKey: ['run_id', 'primary_key', 'column_name'], incrementalColumn: null,
        columns: REJECT_COLUMNS.map((name) => ({ name, arrowType: 'string', sourceType: 'text' })),
        files: [`${reject('{"id": 2}', 'NaN')} union all ${reject('{"id": 3}', 'NaN')}`],
      });
      const file = rejectsRun.files[0]!;
      const rejects = rejectsLoadFor({ ...run, rejects: { file } });

      // Act
      const first = await under.warehouse.loadRaw(rejects!.description, rejects!.manifest, under.rawRoot);
      const again = await under.warehouse.loadRaw(rejects!.description, rejects!.manifest, under.rawRoot);

      // Assess
      expect([first.rowsLoaded, again.alreadyLoaded]).toEqual([2, true]);
      const landed = await readRows(under, 'raw', ['primary_key', 'column_name', 'source_value', 'action', '_floe_run_id'], { table: 'orders__rejects' });
      expect(landed).toEqual([
        { primary_key: '{"id": 2}', column_name: 'amount', source_value: 'NaN', action: 'quarantined', _floe_run_id: 'r1' },
        { primary_key: '{"id": 3}', column_name: 'amount', source_value: 'NaN', action: 'quarantined', _floe_run_id: 'r1' },
      ]);
    });

    it('works with quotes, spaces, unicode and reserved words in column names and unicode in table names', async () => {
      // Prepare
      const columns = [
        { name: 'order', arrowType: 'int64', sourceType: 'bigint' },
        { name: 'say "hi"', arrowType: 'string', sourceType: 'text' },
        { name: 'größe m²', arrowType: 'decimal128(12, 2)', sourceType: 'numeric(12,2)' },
        { name: 'select', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamptz' },
      ];
      const row = (id: number, text: string, at: string) =>
        `select ${id}::bigint as "order", '${text}' as "say ""hi""", 1.50::decimal(12,2) as "größe m²", timestamptz '${at}' as "select"`;
      const run = await under.writeRun({
        runId: 'r1', startedAt: T1, source: 'shöp', table: 'sales.Ünicode_items', primaryKey: ['order'], incrementalColumn: 'select', columns,
        files: [`${row(1, 'old', T1)} union all ${row(1, 'new', T2)} union all ${row(2, 'x', T1)}`],
      });

      // Act
      const { merge } = await loadAndMerge(run);

      // Assess
      expect(merge.inserted).toBe(2);
      const rows = await readRows(under, 'staging', ['order', 'say "hi"', 'größe m²'], { source: 'shöp', table: 'sales.Ünicode_items', asText: ['größe m²'] });
      expect(rows).toEqual([{ order: 1, 'say "hi"': 'new', 'größe m²': '1.50' }, { order: 2, 'say "hi"': 'x', 'größe m²': '1.50' }]);
    });
  });
}
