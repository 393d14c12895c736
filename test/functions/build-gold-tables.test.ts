import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseEvent } from '../../events/index.js';
import { createBuildGold } from '../../functions/build-gold/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { eventFixture } from '../fixtures/events/load.js';

describe('Handler: build-gold', () => {
  it('rebuilds the gold of the run’s own table, whatever tables the StageMerged names', async () => {
    // Prepare: two staging tables, a model on each, and a merged run of clr.orders
    const folder = await mkdtemp(join(tmpdir(), 'floe-build-gold-'));
    await mkdir(join(folder, 'gold'));
    await writeFile(join(folder, 'gold', 'order_count.sql'), 'select count(*) as n from staging.clr__clr__orders\n');
    await writeFile(join(folder, 'gold', 'user_count.sql'), 'select count(*) as n from staging.clr__clr__users\n');
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    await warehouse.query('create table staging.clr__clr__orders as select 1 as id');
    await warehouse.query('create table staging.clr__clr__users as select 1 as id');
    const state = new LocalStateStore(join(folder, 'state'));
    const now = new Date().toISOString();
    await state.startRun({ runId: 'r1', source: 'clr', table: 'clr.orders', mode: 'incremental', requestedAt: now });
    await state.recordStep('r1', { name: 'load-and-merge', startedAt: now, finishedAt: now });
    const published: { detailType: string; detail: object }[] = [];
    const publisher = { publish: async (detailType: string, detail: object) => void published.push({ detailType, detail }) };
    const fixture = eventFixture('stage-merged');
    const event = parseEvent({
      ...fixture,
      detail: { ...fixture.detail, runId: 'r1', source: 'clr', table: 'clr.orders', rawTable: 'raw.clr__clr__users', stagingTable: 'staging.clr__clr__users' },
    });

    // Act
    try {
      await createBuildGold({ state, publisher, warehouse, goldDir: join(folder, 'gold') })(event);
    } finally {
      await warehouse.close();
    }

    // Assess: the orders model is built, the users model (named by the event only) is not
    const built = published.find((p) => p.detailType === 'GoldBuilt')?.detail as { models: { name: string; status: string }[] };
    expect(Object.fromEntries(built.models.map((m) => [m.name, m.status]))).toEqual({ order_count: 'built', user_count: 'skipped' });
  });
});
