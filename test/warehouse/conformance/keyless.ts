import { describeTable, type ManifestLike } from '../../../warehouse/table-description.js';
import { WarehouseError } from '../../../warehouse/warehouse-error.js';
import { orders } from './raw-and-staging.js';
import { readRows } from './rows.js';
import type { WarehouseFactory, WarehouseUnderTest } from './warehouse-factory.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';
const T3 = '2025-11-05T14:00:00+00:00';
const T4 = '2025-11-05T15:00:00+00:00';

/** Staging and raw of a table without a primary key, every row of it, duplicates included. */
async function rows(under: WarehouseUnderTest, layer: 'raw' | 'staging' = 'staging'): Promise<unknown[][]> {
  const read = await readRows(under, layer, ['id', 'status', '_floe_run_id']);
  return read.map((row) => [row['id'], row['status'], row['_floe_run_id']]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** How a table without a primary key reaches staging, on every warehouse: replaced in full mode, appended otherwise. */
export function describeKeyless(name: string, fresh: WarehouseFactory): void {
  describe(`Warehouse: tables without a primary key (${name})`, () => {
    let under: WarehouseUnderTest;

    beforeEach(async () => {
      under = await fresh();
    });

    afterEach(async () => {
      await under.close();
    });

    const keyless = { primaryKey: [] as string[] };
    const load = async (run: ManifestLike) => under.warehouse.loadRaw(describeTable(run), run, under.rawRoot);

    it('replaces staging with every row of a full run, identical rows kept, and counts rows as multisets', async () => {
      // Prepare
      const full = { ...keyless, mode: 'full' as const, incrementalColumn: null };
      const first = await under.writeRun({ ...full, runId: 'f1', startedAt: T1, files: [orders([1, 'a', T1], [1, 'a', T1], [2, 'b', T1])] });
      const second = await under.writeRun({ ...full, runId: 'f2', startedAt: T2, files: [orders([1, 'a', T1], [2, 'b', T1], [3, 'c', T2], [3, 'c', T2])] });
      for (const run of [first, second]) await load(run);

      // Act
      const replacedFirst = await under.warehouse.replaceStaging(describeTable(first), 'f1');
      const afterFirst = await rows(under);
      const replacedSecond = await under.warehouse.replaceStaging(describeTable(second), 'f2');

      // Assess: one copy of (1, a) gone, two copies of (3, c) new
      expect(replacedFirst).toEqual({ inserted: 3, updated: 0, deleted: 0 });
      expect(afterFirst).toEqual([[1, 'a', 'f1'], [1, 'a', 'f1'], [2, 'b', 'f1']]);
      expect(replacedSecond).toEqual({ inserted: 2, updated: 0, deleted: 1 });
      expect(await rows(under)).toEqual([[1, 'a', 'f2'], [2, 'b', 'f2'], [3, 'c', 'f2'], [3, 'c', 'f2']]);
    });

    it('appends each run, replacing only the rows the run reads again, so a window read twice is in staging once', async () => {
      // Prepare: run 2 starts below run 1's last value (a held-back watermark, or lookback) and finds a row committed late there
      const first = await under.writeRun({ ...keyless, runId: 'a1', startedAt: T2, files: [orders([1, 'a', T1], [2, 'b', T2], [2, 'b', T2])] });
      const second = await under.writeRun({ ...keyless, runId: 'a2', startedAt: T4, files: [orders([2, 'b', T2], [2, 'b', T2], [9, 'late', T2], [3, 'c', T3])] });
      for (const run of [first, second]) await load(run);

      // Act
      const appendedFirst = await under.warehouse.appendStaging(describeTable(first), 'a1');
      const appendedSecond = await under.warehouse.appendStaging(describeTable(second), 'a2');

      // Assess
      expect(appendedFirst).toEqual({ inserted: 3, updated: 0, deleted: 0 });
      expect(appendedSecond).toEqual({ inserted: 2, updated: 0, deleted: 0 });
      expect(await rows(under)).toEqual([[1, 'a', 'a1'], [2, 'b', 'a2'], [2, 'b', 'a2'], [3, 'c', 'a2'], [9, 'late', 'a2']]);
    });

    it('changes nothing when a run is appended again, as a redelivered or replayed RawLanded does', async () => {
      // Prepare
      const first = await under.writeRun({ ...keyless, runId: 'a1', startedAt: T1, files: [orders([1, 'a', T1], [1, 'a', T1])] });
      const second = await under.writeRun({ ...keyless, runId: 'a2', startedAt: T3, files: [orders([2, 'b', T2], [3, 'c', T3])] });
      for (const run of [first, second]) await load(run);
      await under.warehouse.appendStaging(describeTable(first), 'a1');
      await under.warehouse.appendStaging(describeTable(second), 'a2');
      const before = await rows(under);

      // Act
      const again = await under.warehouse.appendStaging(describeTable(second), 'a2');
      const reloaded = await load(second);

      // Assess
      expect(again).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      expect(reloaded).toEqual({ rowsLoaded: 0, filesLoaded: 0, alreadyLoaded: true });
      expect(await rows(under)).toEqual(before);
      expect(before).toEqual([[1, 'a', 'a1'], [1, 'a', 'a1'], [2, 'b', 'a2'], [3, 'c', 'a2']]);
    });

    it("appends a run that re-reads a dead run's window in place of the dead run's rows", async () => {
      // Prepare: a1 reached staging but its watermark was never committed, so a2 reads the same window again
      const dead = await under.writeRun({ ...keyless, runId: 'a1', startedAt: T2, files: [orders([1, 'a', T1], [2, 'b', T2])] });
      const next = await under.writeRun({ ...keyless, runId: 'a2', startedAt: T3, files: [orders([1, 'a', T1], [2, 'b', T2], [3, 'c', T3])] });
      for (const run of [dead, next]) await load(run);
      await under.warehouse.appendStaging(describeTable(dead), 'a1');

      // Act
      const appended = await under.warehouse.appendStaging(describeTable(next), 'a2');

      // Assess
      expect(appended).toEqual({ inserted: 1, updated: 0, deleted: 0 });
      expect(await rows(under)).toEqual([[1, 'a', 'a2'], [2, 'b', 'a2'], [3, 'c', 'a2']]);
    });

    it('keeps rows whose incremental column is NULL, which only a first run reads, and restates them when that run is applied again', async () => {
      // Prepare
      const nullRow = `select 7::bigint as id, 'undated' as status, cast(null as timestamptz) as updated_at`;
      const first = await under.writeRun({ ...keyless, runId: 'a1', startedAt: T1, files: [`${orders([1, 'a', T1])} union all ${nullRow} union all ${nullRow}`] });
      const second = await under.writeRun({ ...keyless, runId: 'a2', startedAt: T3, files: [orders([2, 'b', T2])] });
      for (const run of [first, second]) await load(run);
      await under.warehouse.appendStaging(describeTable(first), 'a1');

      // Act
      await under.warehouse.appendStaging(describeTable(first), 'a1');
      await under.warehouse.appendStaging(describeTable(second), 'a2');

      // Assess
      expect(await rows(under)).toEqual([[1, 'a', 'a1'], [2, 'b', 'a2'], [7, 'undated', 'a1'], [7, 'undated', 'a1']]);
    });

    it('refuses to merge a table without a key, and to append a table with one', async () => {
      // Prepare
      const withoutKey = await under.writeRun({ ...keyless, runId: 'a1', startedAt: T1, files: [orders([1, 'a', T1])] });
      const withKey = await under.writeRun({ runId: 'r1', startedAt: T1, files: [orders([1, 'a', T1])] });

      // Act
      const merge = under.warehouse.mergeStaging(describeTable(withoutKey), 'a1');
      const append = under.warehouse.appendStaging(describeTable(withKey), 'r1');

      // Assess
      await expect(merge).rejects.toThrow(WarehouseError);
      await expect(merge).rejects.toThrow('the table has no primary key to merge on');
      await expect(append).rejects.toThrow('only an incremental run of a table without a primary key is appended');
    });
  });
}
