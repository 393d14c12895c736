import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventValidationError, parseEvent, parseManifest } from '../../events/index.js';
import { createGlueFinished } from '../../functions/glue-finished/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { describeTable } from '../../warehouse/table-description.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';
import { eventFixture, manifestFixture } from '../fixtures/events/load.js';
import { writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';

/** The fixture's run r1 (clr / floe_fixture.coupons, postgres) listing `path` as its only file. */
function manifestListing(path: string): Record<string, unknown> {
  const manifest = manifestFixture();
  manifest['runId'] = 'r1';
  const [file] = manifest['files'] as Record<string, unknown>[];
  manifest['files'] = [{ ...file, path, url: `/raw/${path}` }];
  return manifest;
}

describe("Manifest: file paths stay in the run's table folder", () => {
  it.each([
    ['../outside/x.parquet'],
    ['/etc/x.parquet'],
    ['PostgreSQL/clr/floe_fixture.coupons/../../other/2026-11-25/12/r1-0-0.parquet'],
    ['PostgreSQL/clr/floe_fixture.coupons/./2026-11-25/12/r1-0-0.parquet'],
    ['PostgreSQL/clr/floe_fixture.coupons//etc/x.parquet'],
    ['PostgreSQL/clr/other_table/2026-11-25/12/r1-0-0.parquet'],
    ['MySQL/clr/floe_fixture.coupons/2026-11-25/12/r1-0-0.parquet'],
    ['PostgreSQL/clr/floe_fixture.coupons/2026-11-25/12/..\\..\\x.parquet'],
    ['PostgreSQL/clr/floe_fixture.coupons/'],
    ['s3://someone-elses-bucket/x.parquet'],
  ])('refuses %j, naming the run and the path', (path) => {
    // Act
    const parse = (): unknown => parseManifest(manifestListing(path), '/raw/_manifests/r1.json');

    // Assess
    expect(parse).toThrow(EventValidationError);
    expect(parse).toThrow(
      `manifest /raw/_manifests/r1.json: files.0.path: run r1: file path ${JSON.stringify(path)} is outside the run's table folder "PostgreSQL/clr/floe_fixture.coupons/" under the raw root; nothing of the run is loaded`,
    );
  });

  it('refuses a rejects file outside the folder too', () => {
    // Prepare
    const manifest = manifestFixture();
    manifest['rejects'] = { rows: 1, byColumn: { id: 1 }, file: { path: '../../x.parquet', url: '/x.parquet', rows: 1, bytes: 10, part: 'rejects' } };

    // Act
    const parse = (): unknown => parseManifest(manifest, 'm.json');

    // Assess
    expect(parse).toThrow('rejects.file.path: run fixture1: file path "../../x.parquet" is outside');
  });

  it('escapes control characters of a refused path in the message', () => {
    // Act
    const parse = (): unknown => parseManifest(manifestListing('PostgreSQL/clr/floe_fixture.coupons/\u001b[2J\n.parquet'), 'm.json');

    // Assess
    expect(parse).toThrow('file path "PostgreSQL/clr/floe_fixture.coupons/\\u001b[2J\\n.parquet" is outside');
  });

  it("accepts the job's own layout, for table names with quotes, dots, backslashes and accents", () => {
    for (const table of ['floe_fixture.coupons', 's.a..b', 's.a\\b', 'x"; drop table canary; --', 'Größe 📦']) {
      // Prepare
      const manifest = manifestListing(`PostgreSQL/clr/${table}/2026-11-25/12/r1-0-0.parquet`);
      manifest['table'] = table;

      // Act
      const parsed = parseManifest(manifest, 'm.json');

      // Assess
      expect(parsed.files[0]?.path).toBe(`PostgreSQL/clr/${table}/2026-11-25/12/r1-0-0.parquet`);
    }
  });
});

describe('Manifest paths end to end: a run listing ../outside/x.parquet loads nothing', () => {
  it('ends the run at glue-finished (no RawLanded), and DuckDB refuses the path even past the contract', async () => {
    // Prepare: a real Parquet file outside the raw root, and run r1's manifest pointing at it
    const folder = await mkdtemp(join(tmpdir(), 'floe-manifest-paths-'));
    const rawRoot = join(folder, 'raw');
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const outside = await writeFixtureRun(warehouse, join(folder, 'outside-root'), {
      runId: 'r1', files: ["select 1::bigint as id, 'paid' as status, timestamptz '2025-11-05 12:00:00+00' as updated_at"], startedAt: '2025-11-05T12:00:00Z',
    });
    const hostilePath = `../outside-root/${outside.files[0]!.path}`;
    const manifest = { ...manifestListing(hostilePath), database: 'shop', table: 'orders' };
    await mkdir(join(rawRoot, '_manifests'), { recursive: true });
    await writeFile(join(rawRoot, '_manifests', 'r1.json'), JSON.stringify(manifest));
    const state = new LocalStateStore(join(folder, 'state'));
    const now = new Date();
    await state.startRun({ runId: 'r1', source: 'shop', table: 'orders', mode: 'incremental', requestedAt: now.toISOString() });
    await state.updateRun('r1', { jobRunId: 'jr_1' });
    await state.acquireLease('shop', 'orders', 'r1', now, 60_000);
    const published: { detailType: string; detail: Record<string, unknown> }[] = [];
    const handler = createGlueFinished({
      state, raw: new LocalRawStorage(rawRoot), publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail: detail as Record<string, unknown> }) },
    });
    const event = eventFixture('glue-job-state-change');
    const succeeded = parseEvent({ ...event, detail: { ...event.detail, jobRunId: 'jr_1', state: 'SUCCEEDED', message: 'Job run succeeded' } });

    try {
      // Act
      await handler(succeeded);
      const direct = warehouse.loadRaw(describeTable(outside), { ...outside, files: [{ ...outside.files[0]!, path: hostilePath }] }, rawRoot);

      // Assess
      expect(published.map((p) => p.detailType)).toEqual(['IngestFailed']);
      expect(JSON.stringify(published[0]?.detail)).toContain(`run r1: file path ${JSON.stringify(JSON.stringify(hostilePath)).slice(1, -1)} is outside`);
      expect((await state.getRun('r1'))?.status).toBe('failed');
      await expect(direct).rejects.toThrow(WarehouseError);
      await expect(direct).rejects.toThrow(`Cannot load run r1: file path ${JSON.stringify(hostilePath)} leaves the raw root ${rawRoot}; nothing was loaded.`);
      expect(await warehouse.query(`select count(*) as n from information_schema.tables where table_schema = 'raw'`)).toEqual([{ n: 0n }]);
      expect(await readFile(join(folder, 'outside-root', outside.files[0]!.path))).not.toHaveLength(0);
    } finally {
      await warehouse.close();
    }
  });
});
