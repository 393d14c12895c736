import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseEvent } from '../../events/index.js';
import { createLoadAndMerge } from '../../functions/load-and-merge/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');

describe('Handler: load-and-merge and the table lease', () => {
  it('lands nothing for a run that no longer holds its table, and leaves the new holder and the watermark alone', async () => {
    // Prepare: run r1 outlived its lease; r2 took the table over and committed a watermark
    const folder = await mkdtemp(join(tmpdir(), 'floe-lease-fence-'));
    const state = new LocalStateStore(join(folder, 'state'));
    const long = new Date('2026-01-01T00:00:00Z');
    await state.startRun({ runId: 'r1', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: long.toISOString() });
    await state.acquireLease('clr', 'clr.users', 'r1', long, 1_000);
    await state.startRun({ runId: 'r2', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: new Date().toISOString() });
    await state.acquireLease('clr', 'clr.users', 'r2', new Date(), 60_000);
    await state.commitWatermark('clr', 'clr.users', 'r2', '2026-02-01 00:00:00');
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const published: { detailType: string; detail: Record<string, unknown> }[] = [];
    const handler = createLoadAndMerge({
      state, warehouse, raw: new LocalRawStorage(join(folder, 'raw')),
      publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail: detail as Record<string, unknown> }) },
    });
    const fixture = parseEvent(JSON.parse(await readFile(join(FIXTURES, 'events', 'raw-landed.json'), 'utf8')));
    const manifestUrl = join(folder, 'raw', '_manifests', 'r1.json');
    const event = parseEvent({ ...fixture, detail: { ...fixture.detail, runId: 'r1', source: 'clr', table: 'clr.users', manifestUrl } });
    // r1's job ended and glue-finished recorded its manifest, as before every RawLanded
    await state.updateRun('r1', { jobRunId: 'jr_1', manifestUrl });

    // Act
    await handler(event);

    // Assess
    expect(published).toEqual([
      { detailType: 'IngestFailed', detail: expect.objectContaining({ runId: 'r1', step: 'load-and-merge', errorName: 'LeaseLost', retryable: false }) },
    ]);
    expect(published[0]?.detail['error']).toContain('run r1 no longer holds table clr/clr.users (run r2 holds it since');
    const table = await state.getTableState('clr', 'clr.users');
    expect(table).toMatchObject({ watermark: '2026-02-01 00:00:00', watermarkRunId: 'r2', activeRun: { runId: 'r2' } });
    expect(await warehouse.query("select table_name from information_schema.tables where table_schema in ('raw', 'staging')")).toEqual([]);
    await warehouse.close();
  });
});
