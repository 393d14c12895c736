import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { parseEvent, type CheckCompleted, type FloeEvent } from '../../events/index.js';
import { loadConfig, type FloeConfig } from '../../config/index.js';
import { createCheckAfterMerge } from '../../functions/check-after-merge/handler.js';
import { runLocally } from '../../runtime/local/run.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { eventFixture } from '../fixtures/events/load.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_auto_check_test';

function checksIn(events: readonly FloeEvent[]): CheckCompleted[] {
  return events.flatMap((event) => (event['detail-type'] === 'CheckCompleted' ? [event.detail] : []));
}

describe('Automatic check after StageMerged (check: after-merge)', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  let config: FloeConfig;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    for (const name of ['checked', 'unchecked']) {
      await pgClient.query(`create table ${SCHEMA}.${name} (id bigint primary key, label text, updated_at timestamptz(6))`);
      await pgClient.query(`insert into ${SCHEMA}.${name} select g, 'row ' || g, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 100) g`);
    }
    const folder = await mkdtemp(join(tmpdir(), 'floe-auto-check-'));
    const configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${SCHEMA}.checked`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        check: after-merge',
      `      - name: ${SCHEMA}.unchecked`, '        primaryKey: [id]', '        incrementalColumn: updated_at',
    ].join('\n'));
    config = await loadConfig(configFile);
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient.end();
  });

  it('publishes CheckCompleted in sync after each merge of a checked table, and nothing for the others', async () => {
    // Act
    const events: FloeEvent[] = [];
    const outcomes = await runLocally(config, { onEvent: (event) => events.push(event) });

    // Assess
    expect(outcomes.map((outcome) => outcome.failure)).toEqual([null, null]);
    expect(checksIn(events)).toEqual([
      expect.objectContaining({ table: `${SCHEMA}.checked`, status: 'in sync', inSync: true, sourceRows: 100, stagingRows: 100, missing: 0, extra: 0, different: 0 }),
    ]);
  });

  it('reports drift behind floe\'s back with counts and sample keys, for a subscriber to alert on', async () => {
    // Prepare: a row deleted at the source below the watermark, one corrupted in staging
    await pgClient.query(`delete from ${SCHEMA}.checked where id = 7`);
    const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
    await warehouse.query(`update staging."pg__${SCHEMA}__checked" set label = 'corrupt' where id = 42`);
    await warehouse.close();

    // Act
    const events: FloeEvent[] = [];
    await runLocally(config, { filter: { table: `${SCHEMA}.checked` }, onEvent: (event) => events.push(event) });

    // Assess
    const [check] = checksIn(events);
    expect(check).toMatchObject({ status: 'drift', inSync: false, missing: 0, extra: 1, different: 1, sampleKeys: { missing: [], extra: [{ id: 7 }], different: [{ id: 42 }] } });
    expect(() => parseEvent({ ...eventFixture('check-completed'), detail: check })).not.toThrow();
  });
});

describe('Handler: check-after-merge', () => {
  async function prepare(check: 'after-merge' | undefined) {
    const folder = await mkdtemp(join(tmpdir(), 'floe-check-handler-'));
    const state = new LocalStateStore(join(folder, 'state'));
    await state.putTableConfigs([{
      source: 'clr', table: 'clr.users', engine: 'postgres', primaryKey: ['id'], mode: 'incremental',
      incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0, ...(check ? { check } : {}),
    }]);
    const published: { detailType: string; detail: object }[] = [];
    const event = parseEvent({ ...eventFixture('stage-merged'), detail: { ...eventFixture('stage-merged').detail, source: 'clr', table: 'clr.users' } });
    // The run the event names, merged (as load-and-merge leaves it before publishing StageMerged)
    const { runId, publishedAt } = event.detail as { runId: string; publishedAt: string };
    await state.startRun({ runId, source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: publishedAt });
    await state.recordStep(runId, { name: 'load-and-merge', startedAt: publishedAt, finishedAt: publishedAt });
    return { state, published, event, publisher: { publish: async (detailType: string, detail: object) => void published.push({ detailType, detail }) } };
  }

  it('lets a table without check: after-merge go, checking nothing', async () => {
    // Prepare
    const { state, published, event, publisher } = await prepare(undefined);
    const checked: string[] = [];

    // Act
    await createCheckAfterMerge({ state, publisher, check: async ({ table }) => { checked.push(table); throw new Error('not expected'); } })(event);

    // Assess
    expect(checked).toEqual([]);
    expect(published).toEqual([]);
  });

  it('publishes a check that could not run as failed and not in sync, never failing the merged run', async () => {
    // Prepare
    const { state, published, event, publisher } = await prepare('after-merge');

    // Act
    await createCheckAfterMerge({ state, publisher, check: async () => { throw new Error('source pg: could not connect to postgres (ECONNREFUSED)'); } })(event);

    // Assess
    expect(published).toEqual([{
      detailType: 'CheckCompleted',
      detail: expect.objectContaining({ status: 'failed', inSync: false, error: 'Error: source pg: could not connect to postgres (ECONNREFUSED)' }),
    }]);
  });
});
