import { stagingTableFor } from '../../../warehouse/naming.js';
import { describeTable, type ManifestLike, type TableDescription } from '../../../warehouse/table-description.js';
import { orders } from './raw-and-staging.js';
import type { WarehouseFactory, WarehouseUnderTest } from './warehouse-factory.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';
const NOTICED = '2025-11-06T08:30:00+00:00';

/**
 * Delete detection's warehouse half (`deletes: detect | detect-hard`): the soft-delete column, the
 * marking and removal of keys found gone from the source, and the MERGE that un-marks a row that
 * comes back. Which keys are gone is found elsewhere (check/deleted-keys.ts); here they are given.
 */
export function describeDeletes(name: string, fresh: WarehouseFactory): void {
  describe(`Warehouse: rows deleted at the source (${name})`, () => {
    let under: WarehouseUnderTest;

    beforeEach(async () => {
      under = await fresh();
    });

    afterEach(async () => {
      await under.close();
    });

    const soft = (manifest: ManifestLike): TableDescription => ({ ...describeTable(manifest), softDelete: true });
    const loadAndMerge = async (description: TableDescription, manifest: ManifestLike) => {
      await under.warehouse.loadRaw(description, manifest, under.rawRoot);
      return under.warehouse.mergeStaging(description, manifest.runId);
    };
    /** id → whether the row is marked deleted, and when (as epoch milliseconds, comparable on both warehouses). */
    const marks = async (): Promise<Record<number, number | null>> => {
      const q = under.dialect.identifier;
      const epochMs = under.dialect.name === 'duckdb' ? `epoch_ms(${q('_floe_deleted_at')})` : `date_part(epoch_millisecond, ${q('_floe_deleted_at')})`;
      const rows = await under.warehouse.query(
        `select ${q('id')} as "id", cast(${epochMs} as bigint) as "at" from ${under.dialect.qualified(stagingTableFor('shop', 'orders'))} order by 1`,
      );
      return Object.fromEntries(rows.map((row) => [Number(row['id']), row['at'] === null ? null : Number(row['at'])]));
    };

    it('marks exactly the given keys, once: marking again keeps the first time noticed', async () => {
      // Prepare
      const run = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1], [3, 'new', T1])] });
      const description = soft(run);
      await loadAndMerge(description, run);
      expect(await under.warehouse.prepareDeleteDetection(description, 'r2')).toBe(true);

      // Act
      const marked = await under.warehouse.applyDetectedDeletes(description, [['2'], ['3']], 'mark', NOTICED, 'r2');
      const again = await under.warehouse.applyDetectedDeletes(description, [['2']], 'mark', '2025-11-07T00:00:00+00:00', 'r3');

      // Assess
      expect([marked, again]).toEqual([2, 0]);
      expect(await marks()).toEqual({ 1: null, 2: Date.parse(NOTICED), 3: Date.parse(NOTICED) });
    });

    it('un-marks a marked row when a later run brings it again', async () => {
      // Prepare
      const first = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1])] });
      await loadAndMerge(soft(first), first);
      await under.warehouse.applyDetectedDeletes(soft(first), [['2']], 'mark', NOTICED, 'r1');
      const back = await under.writeRun({ runId: 'r2', startedAt: T2, files: [orders([2, 'back', T2])] });

      // Act
      const merge = await loadAndMerge(soft(back), back);

      // Assess
      expect(merge).toEqual({ inserted: 0, updated: 1, deleted: 0 });
      expect(await marks()).toEqual({ 1: null, 2: null });
    });

    it('un-marks a marked row that comes back after deletes were turned off, and keeps the marks of rows that stay gone', async () => {
      // Prepare: a row marked while deletes were detected; then the table's config drops `deletes`
      const first = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1], [3, 'new', T1])] });
      await loadAndMerge(soft(first), first);
      await under.warehouse.applyDetectedDeletes(soft(first), [['2'], ['3']], 'mark', NOTICED, 'r1');
      const back = await under.writeRun({ runId: 'r2', startedAt: T2, files: [orders([2, 'back', T2])] });

      // Act
      const merge = await loadAndMerge(describeTable(back), back);

      // Assess: the row exists at the source again, so it is live, as it is while deletes are detected
      expect(merge).toEqual({ inserted: 0, updated: 1, deleted: 0 });
      expect(await marks()).toEqual({ 1: null, 2: null, 3: Date.parse(NOTICED) });
    });

    it('removes the given keys with detect-hard, and nothing on a second call', async () => {
      // Prepare
      const run = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1], [3, 'new', T1])] });
      const description = describeTable(run);
      await loadAndMerge(description, run);

      // Act
      const removed = await under.warehouse.applyDetectedDeletes(description, [['1'], ['3'], ['4']], 'remove', NOTICED, 'r2');
      const again = await under.warehouse.applyDetectedDeletes(description, [['1'], ['3']], 'remove', NOTICED, 'r3');

      // Assess
      expect([removed, again]).toEqual([2, 0]);
      const ids = await under.warehouse.query(`select ${under.dialect.identifier('id')} as "id" from ${under.dialect.qualified(stagingTableFor('shop', 'orders'))}`);
      expect(ids.map((row) => Number(row['id']))).toEqual([2]);
    });

    it('adds the soft-delete column to a staging table made before deletes was configured, and finds no staging table to judge before the first load', async () => {
      // Prepare
      const run = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1])] });
      const beforeLoad = await under.warehouse.prepareDeleteDetection(soft(run), 'r1');
      await loadAndMerge(describeTable(run), run);

      // Act
      const prepared = await under.warehouse.prepareDeleteDetection(soft(run), 'r2');
      const marked = await under.warehouse.applyDetectedDeletes(soft(run), [['1']], 'mark', NOTICED, 'r2');

      // Assess
      expect([beforeLoad, prepared, marked]).toEqual([false, true, 1]);
      expect(await marks()).toEqual({ 1: Date.parse(NOTICED), 2: null });
    });
  });
}
