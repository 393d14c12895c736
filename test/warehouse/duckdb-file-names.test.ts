import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { describeTable } from '../../warehouse/table-description.js';
import { writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';

const T1 = '2025-11-05T12:00:00+00:00';

describe('Warehouse: any DuckDB file name', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'floe-names-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  // DuckDB names a database after its file: these would collide with floe's schemas or DuckDB's own catalogs.
  it.each(['floe.duckdb', 'raw.duckdb', 'staging.duckdb', 'gold.duckdb', 'memory.duckdb', 'main.duckdb', 'system.duckdb', `it's "odd" näme.duckdb`])(
    'loads, merges, builds gold and reopens a warehouse file named %s',
    async (name) => {
      // Prepare
      const file = join(dir, name);
      const rawRoot = join(dir, 'raw');
      const goldDir = join(dir, 'gold');
      const first = await DuckDbWarehouse.open(file);
      const run = await writeFixtureRun(first, rawRoot, {
        runId: 'r1', startedAt: T1, files: [`select 1::bigint as id, 'paid' as status, timestamptz '${T1}' as updated_at`],
      });
      mkdirSync(goldDir);
      writeFileSync(join(goldDir, 'paid.sql'), "select id from staging.shop__orders where status = 'paid'\n");

      // Act
      await first.loadRaw(describeTable(run), run, rawRoot);
      await first.mergeStaging(describeTable(run), 'r1');
      const gold = await first.buildGold(goldDir);
      await first.close();
      const reopened = await DuckDbWarehouse.open(file);

      // Assess
      expect(gold.map((model) => [model.name, model.status, model.error])).toEqual([['paid', 'built', undefined]]);
      expect(await reopened.query('select id from gold.paid')).toEqual([{ id: 1n }]);
      expect(await reopened.query('select count(*) as n from floe.loaded_files')).toEqual([{ n: 1n }]);
      expect(await reopened.loadRaw(describeTable(run), run, rawRoot)).toEqual({ rowsLoaded: 0, filesLoaded: 0, alreadyLoaded: true });
      // Spills go beside the file, as when DuckDB opens a file directly, not into the working folder.
      expect(await reopened.query("select current_setting('temp_directory') as t")).toEqual([{ t: `${file}.tmp` }]);
      await reopened.close();
    },
  );

  it('shares one database between two opens of a file in one process, each seeing what the other wrote', async () => {
    // Prepare
    const file = join(dir, 'warehouse.duckdb');
    const one = await DuckDbWarehouse.open(file);
    const two = await DuckDbWarehouse.open(file);

    // Act
    await one.query('create table floe.note (text varchar)');
    await two.query("insert into floe.note values ('from two')");
    await one.close();

    // Assess
    expect(await two.query('select text from floe.note')).toEqual([{ text: 'from two' }]);
    await two.close();
    const again = await DuckDbWarehouse.open(file);
    expect(await again.query('select text from floe.note')).toEqual([{ text: 'from two' }]);
    await again.close();
  });
});
