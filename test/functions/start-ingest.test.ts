import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { IngestRequestedSchema, parseEvent, REPAIR_KEYS_PER_RUN } from '../../events/index.js';
import { FloeError } from '../../errors/floe-error.js';
import { createStartIngest } from '../../functions/start-ingest/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');

/** start-ingest on a local state file, recording what it publishes and the job runs it starts. */
function startIngestRecording(state: LocalStateStore, folder: string) {
  const published: { detailType: string; detail: object }[] = [];
  const started: Record<string, string>[] = [];
  const handler = createStartIngest({
    state,
    publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail }) },
    jobs: { jobName: 'floe-extract', startJobRun: async (args) => (started.push(args), { jobRunId: 'jr_1' }) },
    raw: new LocalRawStorage(join(folder, 'raw')),
    connectionFor: () => 'postgresql://127.0.0.1/db',
    leaseTtlMs: 60_000,
  });
  return { handler, published, started };
}

describe('Handler: start-ingest', () => {
  it('ends a requested run as failed, naming the holder, when its table is busy', async () => {
    // Prepare: run r-old holds the table; r-new was recorded by its requester (request-ingest)
    const folder = await mkdtemp(join(tmpdir(), 'floe-start-ingest-'));
    const state = new LocalStateStore(join(folder, 'state'));
    await state.putTableConfigs([{
      source: 'clr', table: 'clr.users', engine: 'postgres', primaryKey: ['id'], mode: 'incremental',
      incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0,
    }]);
    const now = new Date();
    await state.acquireLease('clr', 'clr.users', 'r-old', now, 60_000);
    await state.startRun({ runId: 'r-new', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: now.toISOString() });
    const { handler, published, started } = startIngestRecording(state, folder);
    const fixture = JSON.parse(await readFile(join(FIXTURES, 'events', 'ingest-requested.json'), 'utf8')) as { detail: object };
    const requested = parseEvent({ ...fixture, detail: { ...fixture.detail, runId: 'r-new', source: 'clr', table: 'clr.users' } });

    // Act
    await handler(requested);

    // Assess: no job; the run ended, retryable, and the holder keeps its lease
    expect(started).toHaveLength(0);
    expect(published).toEqual([{ detailType: 'IngestFailed', detail: expect.objectContaining({ runId: 'r-new', step: 'start-ingest', retryable: true }) }]);
    expect((published[0]?.detail as { error: string }).error).toMatch(/^table busy: run r-old since /);
    expect(await state.getRun('r-new')).toMatchObject({ status: 'failed', error: { name: 'TableBusy', retryable: true } });
    expect((await state.getTableState('clr', 'clr.users')).activeRun).toMatchObject({ runId: 'r-old' });
  });
  it('starts a repair run (IngestRequested keys) in full mode with the keys as --keys and no watermark', async () => {
    // Prepare: an incremental table with a committed watermark
    const folder = await mkdtemp(join(tmpdir(), 'floe-start-ingest-'));
    const state = new LocalStateStore(join(folder, 'state'));
    await state.putTableConfigs([{
      source: 'clr', table: 'clr.users', engine: 'postgres', primaryKey: ['region', 'id'], mode: 'incremental',
      incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0,
    }]);
    await state.acquireLease('clr', 'clr.users', 'r-first', new Date(), 60_000);
    await state.commitWatermark('clr', 'clr.users', 'r-first', '2025-01-01 00:00:00.000000');
    await state.releaseLease('clr', 'clr.users', 'r-first');
    const { handler, published, started } = startIngestRecording(state, folder);
    const fixture = JSON.parse(await readFile(join(FIXTURES, 'events', 'ingest-requested.json'), 'utf8')) as { detail: object };
    const keys = [['eu', '2'], ['us', "1'; drop table users; --"]];
    const requested = parseEvent({ ...fixture, detail: { ...fixture.detail, runId: 'r-repair', source: 'clr', table: 'clr.users', keys } });

    // Act
    await handler(requested);

    // Assess
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ '--mode': 'full', '--keys': JSON.stringify(keys), '--primary-key': 'region,id' });
    expect(started[0]).not.toHaveProperty('--watermark');
    expect(published).toEqual([{ detailType: 'GlueStarted', detail: expect.objectContaining({ mode: 'full', watermark: null }) }]);
    expect((await state.getTableState('clr', 'clr.users')).activeRun).toMatchObject({ runId: 'r-repair' });
  });

  it('refuses more keys than one repair run takes', () => {
    // Prepare
    const keys = Array.from({ length: REPAIR_KEYS_PER_RUN + 1 }, (_, index) => [String(index)]);
    const detail = { runId: 'r-repair', source: 'clr', table: 'clr.users', publishedAt: new Date().toISOString(), keys };

    // Act / Assess
    expect(IngestRequestedSchema.safeParse(detail).success).toBe(false);
    expect(IngestRequestedSchema.safeParse({ ...detail, keys: keys.slice(1) }).success).toBe(true);
  });

  it('starts each source of a batch as one job run, and gives back, each with its error, the requests of a source whose start may succeed later', async () => {
    // Prepare: two tables on clr, one on shop; Glue refuses shop's job run for now
    const folder = await mkdtemp(join(tmpdir(), 'floe-start-ingest-'));
    const state = new LocalStateStore(join(folder, 'state'));
    const tables = [['clr', 'clr.a'], ['clr', 'clr.b'], ['shop', 'shop.c']] as const;
    await state.putTableConfigs(tables.map(([source, table]) => ({
      source, table, engine: 'postgres' as const, primaryKey: ['id'], mode: 'full' as const, partitions: 1, lookbackSeconds: 0,
    })));
    const published: { detailType: string; detail: object }[] = [];
    const started: Record<string, string>[] = [];
    let refuseShop = true;
    const handler = createStartIngest({
      state,
      publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail }) },
      jobs: {
        jobName: 'floe-extract',
        startJobRun: async (args) => {
          if (refuseShop && args['--database'] === 'shop') throw new FloeError('Glue is at its limit of concurrent runs', { retryable: true });
          started.push(args);
          return { jobRunId: `jr_${started.length}` };
        },
      },
      raw: new LocalRawStorage(join(folder, 'raw')),
      connectionFor: () => 'postgresql://127.0.0.1/db',
      leaseTtlMs: 60_000,
    });
    const fixture = JSON.parse(await readFile(join(FIXTURES, 'events', 'ingest-requested.json'), 'utf8')) as { detail: object };
    const events = tables.map(([source, table], index) => parseEvent({ ...fixture, detail: { ...fixture.detail, runId: `r-${index}`, source, table, mode: 'full' } }));

    // Act
    const failures = await handler.batch(events);

    // Assess: clr's two tables in one job run (a batch file), announced; shop's request back with Glue's error, its run waiting
    expect(started).toEqual([expect.objectContaining({ '--database': 'clr', '--batch': expect.stringContaining('_batches/') })]);
    expect(published.map((event) => [event.detailType, (event.detail as { runId: string }).runId])).toEqual([['GlueStarted', 'r-0'], ['GlueStarted', 'r-1']]);
    expect(failures).toEqual([{ event: events[2], error: expect.objectContaining({ message: 'Glue is at its limit of concurrent runs', retryable: true }) }]);
    expect(await state.getRun('r-2')).toMatchObject({ status: 'running' });
    expect((await state.getRun('r-2'))?.jobRunId).toBeUndefined();

    // Act: the same batch again once Glue takes shop's run (a whole redelivery, as the local bus's retry of the batch was)
    refuseShop = false;
    const again = await handler.batch(events);

    // Assess: only shop's run starts; clr's are duplicates
    expect(again).toEqual([]);
    expect(started.map((args) => args['--database'])).toEqual(['clr', 'shop']);
    expect(published.map((event) => (event.detail as { runId: string }).runId)).toEqual(['r-0', 'r-1', 'r-2']);
  });
});
