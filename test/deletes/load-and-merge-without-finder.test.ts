import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseEvent, type FloeEvent } from '../../events/index.js';
import { createLoadAndMerge } from '../../functions/load-and-merge/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { eventFixture } from '../fixtures/events/load.js';

describe('Handler: load-and-merge for a table with deletes, where the source cannot be read', () => {
  it('fails the run with DeleteDetectionError, not retryable, before anything lands', async () => {
    // Prepare: the fixture manifest's table configured with deletes, and no key finder (as on AWS)
    const folder = await mkdtemp(join(tmpdir(), 'floe-deletes-refusal-'));
    const raw = new LocalRawStorage(join(folder, 'raw'));
    await mkdir(join(raw.root, '_manifests'), { recursive: true });
    await copyFile(new URL('../fixtures/manifest.json', import.meta.url), raw.manifestUrl('fixture1'));
    const state = new LocalStateStore(join(folder, 'state'));
    await state.putTableConfigs([{
      source: 'clr', table: 'floe_fixture.coupons', engine: 'postgres', primaryKey: ['id'], mode: 'incremental',
      incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0, deletes: 'detect',
    }]);
    await state.startRun({ runId: 'fixture1', source: 'clr', table: 'floe_fixture.coupons', mode: 'incremental', requestedAt: '2025-11-05T12:00:00.000Z' });
    await state.updateRun('fixture1', { jobRunId: 'jr_fixture1', manifestUrl: raw.manifestUrl('fixture1') });
    await state.acquireLease('clr', 'floe_fixture.coupons', 'fixture1', new Date(), 60_000);
    const warehouse = await DuckDbWarehouse.open(':memory:');
    const published: { detailType: string; detail: Record<string, unknown> }[] = [];
    const handle = createLoadAndMerge({
      state, raw, warehouse,
      publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail: detail as unknown as Record<string, unknown> }) },
    });
    const event = eventFixture('raw-landed');
    event.detail = { ...event.detail, runId: 'fixture1', source: 'clr', table: 'floe_fixture.coupons', manifestUrl: raw.manifestUrl('fixture1') };

    // Act
    await handle(parseEvent(event) as FloeEvent);

    // Assess
    expect(published.map((p) => [p.detailType, p.detail['errorName'], p.detail['retryable']])).toEqual([['IngestFailed', 'DeleteDetectionError', false]]);
    expect(String(published[0]?.detail['error'])).toContain('table clr/floe_fixture.coupons has deletes: detect, but this deployment\'s load-and-merge cannot read the source');
    expect((await state.getRun('fixture1'))?.status).toBe('failed');
    expect((await state.getTableState('clr', 'floe_fixture.coupons')).watermark).toBeNull();
    expect(await warehouse.query("select table_name from information_schema.tables where table_schema in ('raw', 'staging')")).toEqual([]);
    await warehouse.close();
  });
});
