import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseEvent } from '../../events/index.js';
import { createStartIngest } from '../../functions/start-ingest/handler.js';
import { LocalStateStore } from '../../state/index.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');

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
    const published: { detailType: string; detail: object }[] = [];
    const started: Record<string, string>[] = [];
    const handler = createStartIngest({
      state,
      publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail }) },
      jobs: { jobName: 'floe-extract', startJobRun: async (args) => (started.push(args), { jobRunId: 'jr_1' }) },
      rawRoot: join(folder, 'raw'),
      connectionFor: () => 'postgresql://127.0.0.1/db',
      leaseTtlMs: 60_000,
    });
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
});
