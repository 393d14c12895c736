import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventRefusedSchema, parseEvent, type FloeEvent } from '../../events/index.js';
import { createBuildGold } from '../../functions/build-gold/handler.js';
import { createCheckAfterMerge } from '../../functions/check-after-merge/handler.js';
import { createGlueFinished } from '../../functions/glue-finished/handler.js';
import { createLoadAndMerge } from '../../functions/load-and-merge/handler.js';
import { createStartIngest } from '../../functions/start-ingest/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { eventFixture, manifestFixture } from '../fixtures/events/load.js';
import { ORDER_COLUMNS, writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';

/**
 * Events on the bus are claims, checked against the run they name: each handler refuses an event
 * its run cannot have caused, publishing EventRefused and nothing else. What the state store holds
 * is compared whole: no step, no end of the run, no lease released.
 */

const TABLE = { source: 'clr', table: 'clr.orders' };
const NOW = new Date().toISOString();

interface Published {
  detailType: string;
  detail: Record<string, unknown>;
}

/** A project folder with the table configured (`check: after-merge`), recording what is published. */
async function prepare() {
  const folder = await mkdtemp(join(tmpdir(), 'floe-refused-'));
  const state = new LocalStateStore(join(folder, 'state'));
  await state.putTableConfigs([{
    ...TABLE, engine: 'postgres', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at',
    partitions: 1, lookbackSeconds: 0, check: 'after-merge',
  }]);
  const raw = new LocalRawStorage(join(folder, 'raw'));
  const published: Published[] = [];
  const publisher = { publish: async (detailType: string, detail: object) => void published.push({ detailType, detail: detail as Record<string, unknown> }) };
  // Everything the store holds for the tables these tests use: configs, table states, every run.
  const stateNow = async (): Promise<string> => JSON.stringify({
    configs: await state.listTableConfigs(TABLE.source),
    tables: await Promise.all(['clr.orders', 'clr.users'].map((table) => state.getTableState(TABLE.source, table))),
    runs: await state.listRuns({ limit: 1000 }),
  });
  return { folder, state, raw, published, publisher, stateNow };
}

/** A running run of the table, holding its lease, as start-ingest leaves it (job started, not ended). */
async function extractingRun(state: LocalStateStore, runId: string): Promise<void> {
  await state.startRun({ runId, ...TABLE, mode: 'incremental', requestedAt: NOW });
  await state.acquireLease(TABLE.source, TABLE.table, runId, new Date(), 60_000);
  await state.updateRun(runId, { jobRunId: `jr_${runId}` });
  await state.recordStep(runId, { name: 'start-ingest', startedAt: NOW, finishedAt: NOW });
}

function eventOf(name: 'ingest-requested' | 'raw-landed' | 'stage-merged', detail: Record<string, unknown>): FloeEvent {
  const fixture = eventFixture(name);
  return parseEvent({ ...fixture, detail: { ...fixture.detail, ...detail } });
}

/** What a refusal publishes: one EventRefused, valid under its contract, from `handler`. */
function expectOneRefusal(published: Published[], handler: string, refused: FloeEvent, reason: string | RegExp): void {
  expect(published).toEqual([{ detailType: 'EventRefused', detail: expect.objectContaining({ handler, refusedDetailType: refused['detail-type'], refusedEventId: refused.id }) }]);
  const detail = EventRefusedSchema.parse(published[0]?.detail);
  if (typeof reason === 'string') expect(detail.reason).toBe(reason);
  else expect(detail.reason).toMatch(reason);
}

describe('Handlers: an event for a run that is not recorded', () => {
  it('glue-finished refuses the end of a Glue job run no run recorded, naming the job run', async () => {
    // Prepare
    const { state, raw, published, publisher, stateNow } = await prepare();
    await extractingRun(state, 'r1');
    const before = await stateNow();
    const fixture = eventFixture('glue-job-state-change');
    const event = parseEvent({ ...fixture, detail: { ...fixture.detail, jobRunId: 'jr_nobody' } });

    // Act
    await createGlueFinished({ state, raw, publisher })(event);

    // Assess
    expectOneRefusal(published, 'glue-finished', event, 'no run has Glue job run jr_nobody: floe records the job run id of every job it starts');
    expect(published[0]?.detail).toMatchObject({ runId: null, source: null, table: null, jobRunId: 'jr_nobody' });
    expect(await stateNow()).toBe(before);
  });

  it('load-and-merge refuses a RawLanded of an unknown run, touching no warehouse table', async () => {
    // Prepare
    const { folder, state, raw, published, publisher, stateNow } = await prepare();
    await extractingRun(state, 'r1');
    const before = await stateNow();
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const event = eventOf('raw-landed', { runId: 'r-ghost', ...TABLE, manifestUrl: raw.manifestUrl('r-ghost') });

    // Act
    await createLoadAndMerge({ state, raw, warehouse, publisher })(event);

    // Assess
    expectOneRefusal(published, 'load-and-merge', event, 'run r-ghost is not recorded: floe publishes RawLanded only for runs it started');
    expect(await stateNow()).toBe(before);
    expect(await warehouse.query("select table_name from information_schema.tables where table_schema in ('raw', 'staging')")).toEqual([]);
    await warehouse.close();
  });

  it('build-gold refuses a StageMerged of an unknown run, building nothing', async () => {
    // Prepare
    const { folder, state, published, publisher, stateNow } = await prepare();
    await extractingRun(state, 'r1');
    const before = await stateNow();
    const goldDir = join(folder, 'gold');
    await mkdir(goldDir);
    await writeFile(join(goldDir, 'totals.sql'), 'select 1 as one');
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const event = eventOf('stage-merged', { runId: 'r-ghost', ...TABLE });

    // Act
    await createBuildGold({ state, publisher, warehouse, goldDir })(event);

    // Assess
    expectOneRefusal(published, 'build-gold', event, 'run r-ghost is not recorded: floe publishes StageMerged only for runs it started');
    expect(await stateNow()).toBe(before);
    expect(await warehouse.query("select table_name from information_schema.tables where table_schema = 'gold'")).toEqual([]);
    await warehouse.close();
  });

  it('check-after-merge refuses a StageMerged of an unknown run, checking nothing', async () => {
    // Prepare
    const { state, published, publisher, stateNow } = await prepare();
    const before = await stateNow();
    const checked: string[] = [];
    const event = eventOf('stage-merged', { runId: 'r-ghost', ...TABLE });

    // Act
    await createCheckAfterMerge({ state, publisher, check: async ({ table }) => { checked.push(table); throw new Error('not expected'); } })(event);

    // Assess
    expectOneRefusal(published, 'check-after-merge', event, 'run r-ghost is not recorded: floe publishes StageMerged only for runs it started');
    expect(checked).toEqual([]);
    expect(await stateNow()).toBe(before);
  });

  it('start-ingest refuses an IngestRequested naming the run id of another table\'s run, starting no job', async () => {
    // Prepare: r1 extracts clr.orders; a request for clr.users reuses its id (an unknown run id is a new run, which start-ingest starts)
    const { state, published, publisher, stateNow, folder } = await prepare();
    await state.putTableConfigs([{ source: 'clr', table: 'clr.users', engine: 'postgres', primaryKey: ['id'], mode: 'full', partitions: 1, lookbackSeconds: 0 }]);
    await state.startRun({ runId: 'r1', ...TABLE, mode: 'incremental', requestedAt: NOW });
    await state.acquireLease(TABLE.source, TABLE.table, 'r1', new Date(), 60_000);
    const before = await stateNow();
    const started: Record<string, string>[] = [];
    const handler = createStartIngest({
      state, publisher, raw: new LocalRawStorage(join(folder, 'raw')), connectionFor: () => 'postgresql://127.0.0.1/db', leaseTtlMs: 60_000,
      jobs: { jobName: 'floe-extract', startJobRun: async (args) => (started.push(args), { jobRunId: 'jr_1' }) },
    });
    const event = eventOf('ingest-requested', { runId: 'r1', source: 'clr', table: 'clr.users' });

    // Act
    await handler(event);

    // Assess
    expectOneRefusal(published, 'start-ingest', event, 'run r1 is a run of clr/clr.orders, not of clr/clr.users');
    expect(started).toEqual([]);
    expect(await stateNow()).toBe(before);
  });
});

describe('Handler: build-gold and a StageMerged its run cannot have caused', () => {
  it('refuses StageMerged { noChange: true } for a run still extracting: the run goes on, its lease held', async () => {
    // Prepare
    const { folder, state, published, publisher, stateNow } = await prepare();
    await extractingRun(state, 'r1');
    const before = await stateNow();
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const event = eventOf('stage-merged', { runId: 'r1', ...TABLE, noChange: true });

    // Act
    await createBuildGold({ state, publisher, warehouse, goldDir: join(folder, 'gold') })(event);

    // Assess
    expectOneRefusal(published, 'build-gold', event, 'run r1 has not merged (it is running; steps: start-ingest), so no StageMerged of it can be true');
    expect(await stateNow()).toBe(before);
    expect(await state.getRun('r1')).toMatchObject({ status: 'running' });
    expect((await state.getTableState(TABLE.source, TABLE.table)).activeRun).toMatchObject({ runId: 'r1' });
    await warehouse.close();
  });
});

describe('Handlers: an event the state of its run rules out', () => {
  it('load-and-merge refuses a RawLanded for a run still extracting (no manifest recorded): the run goes on, its lease held', async () => {
    // Prepare
    const { folder, state, raw, published, publisher, stateNow } = await prepare();
    await extractingRun(state, 'r1');
    const before = await stateNow();
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const event = eventOf('raw-landed', { runId: 'r1', ...TABLE, manifestUrl: raw.manifestUrl('r1') });

    // Act
    await createLoadAndMerge({ state, raw, warehouse, publisher })(event);

    // Assess
    expectOneRefusal(published, 'load-and-merge', event, 'run r1 has no manifest recorded: its extraction was not seen to finish (steps: start-ingest)');
    expect(await stateNow()).toBe(before);
    expect((await state.getTableState(TABLE.source, TABLE.table)).activeRun).toMatchObject({ runId: 'r1' });
    await warehouse.close();
  });

  it('glue-finished refuses the end of a job whose run already ended (unlocked), and drops a second end once one was seen', async () => {
    // Prepare: r1 ended by floe unlock while its job ran; r2's job end was already handled
    const { state, raw, published, publisher, stateNow } = await prepare();
    await extractingRun(state, 'r1');
    await state.finishRun('r1', 'failed', { name: 'Unlocked', message: 'unlocked by floe unlock', retryable: true });
    await state.releaseLease(TABLE.source, TABLE.table, 'r1');
    await state.startRun({ runId: 'r2', ...TABLE, mode: 'incremental', requestedAt: NOW });
    await state.updateRun('r2', { jobRunId: 'jr_r2' });
    await state.recordStep('r2', { name: 'extract', startedAt: NOW, error: { name: 'ExtractionFailed', message: 'connection refused', retryable: false } });
    await state.finishRun('r2', 'failed');
    const before = await stateNow();
    const fixture = eventFixture('glue-job-state-change');
    const ended = (jobRunId: string) => parseEvent({ ...fixture, detail: { ...fixture.detail, jobRunId } });
    const handler = createGlueFinished({ state, raw, publisher });

    // Act
    await handler(ended('jr_r1'));
    await handler(ended('jr_r2'));

    // Assess
    expectOneRefusal(published, 'glue-finished', ended('jr_r1'), 'run r1 already ended (failed) before the end of its job was seen');
    expect(published[0]?.detail).toMatchObject({ runId: 'r1', source: 'clr', table: 'clr.orders', jobRunId: 'jr_r1' });
    expect(await stateNow()).toBe(before);
  });
});

describe('Handler: load-and-merge and a manifest that is not the event\'s run', () => {
  /** A loadable manifest (real Parquet files) of `runId` and `table`, written where run r1's manifest belongs. */
  async function manifestAtR1(raw: LocalRawStorage, warehouse: DuckDbWarehouse, names: { runId: string; table: string }): Promise<void> {
    const run = await writeFixtureRun(warehouse, raw.root, {
      runId: names.runId, source: TABLE.source, table: names.table, startedAt: NOW,
      files: ["select 1::bigint as id, 'landed' as status, timestamptz '2025-11-05 11:00:00+00' as updated_at"],
    });
    const manifest = {
      ...manifestFixture(),
      runId: run.runId, database: run.database, table: run.table, primaryKey: ['id'], incrementalColumn: 'updated_at',
      columns: ORDER_COLUMNS.map((column) => ({ ...column, nullable: true })),
      files: run.files.map((file, index) => ({ path: file.path, url: file.url, rows: file.rows, bytes: 1, part: `0-${index}` })),
      totalRows: run.totalRows,
    };
    await mkdir(join(raw.root, '_manifests'), { recursive: true });
    await writeFile(raw.manifestUrl('r1'), JSON.stringify(manifest));
  }

  it.each([
    ['another run of the table', { runId: 'r-other', table: TABLE.table }, 'names run r-other;'],
    ['another table', { runId: 'r1', table: 'clr.users' }, 'names table clr.users;'],
  ])('refuses a RawLanded whose manifest names %s, with nothing loaded and the run left as it was', async (_name, names, named) => {
    // Prepare: r1's job ended and glue-finished recorded its manifest, which now names something else
    const { folder, state, raw, published, publisher, stateNow } = await prepare();
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    await extractingRun(state, 'r1');
    await manifestAtR1(raw, warehouse, names);
    await state.updateRun('r1', { manifestUrl: raw.manifestUrl('r1'), rowsExtracted: 1 });
    const before = await stateNow();
    const event = eventOf('raw-landed', { runId: 'r1', ...TABLE, manifestUrl: raw.manifestUrl('r1') });

    // Act
    await createLoadAndMerge({ state, raw, warehouse, publisher })(event);

    // Assess
    expectOneRefusal(published, 'load-and-merge', event, new RegExp(`^manifest .*r1\\.json ${named} the event names run r1 of clr/clr\\.orders$`));
    expect(await stateNow()).toBe(before);
    expect(await warehouse.query("select table_name from information_schema.tables where table_schema in ('raw', 'staging')")).toEqual([]);
    await warehouse.close();
  });
});
