import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseEvent } from '../../events/index.js';
import { createGlueFinished } from '../../functions/glue-finished/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');

describe('Handler: glue-finished', () => {
  it('ends the run and frees the table when the manifest cannot be read', async () => {
    // Prepare: a run whose job succeeded but left a manifest of an unknown version
    const folder = await mkdtemp(join(tmpdir(), 'floe-glue-finished-'));
    const state = new LocalStateStore(join(folder, 'state'));
    const raw = new LocalRawStorage(join(folder, 'raw'));
    const now = new Date();
    await state.startRun({ runId: 'r1', source: 'clr', table: 'clr.users', mode: 'full', requestedAt: now.toISOString() });
    await state.updateRun('r1', { jobRunId: 'jr_1' });
    await state.acquireLease('clr', 'clr.users', 'r1', now, 60_000);
    const manifest = JSON.parse(await readFile(join(FIXTURES, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await mkdir(join(folder, 'raw', '_manifests'), { recursive: true });
    await writeFile(join(folder, 'raw', '_manifests', 'r1.json'), JSON.stringify({ ...manifest, runId: 'r1', manifestVersion: 2 }));
    const published: { detailType: string; detail: object }[] = [];
    const handler = createGlueFinished({ state, raw, publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail }) } });
    const event = parseEvent(JSON.parse(await readFile(join(FIXTURES, 'events', 'glue-job-state-change.json'), 'utf8')));
    const succeeded = { ...event, detail: { ...event.detail, jobRunId: 'jr_1', state: 'SUCCEEDED', message: 'Job run succeeded' } };

    // Act
    await handler(parseEvent(succeeded));

    // Assess
    expect(published.map((p) => p.detailType)).toEqual(['IngestFailed']);
    expect(published[0]?.detail).toMatchObject({ runId: 'r1', step: 'extract' });
    expect((await state.getRun('r1'))?.status).toBe('failed');
    expect((await state.getTableState('clr', 'clr.users')).activeRun).toBeNull();
  });
});
