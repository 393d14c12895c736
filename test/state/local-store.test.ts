import { readdir, writeFile } from 'node:fs/promises';
import { describeStateStore } from './conformance.js';
import { freshStore } from './helpers.js';

describeStateStore('local state file', (options = {}) => freshStore(options));

const newRun = (runId: string, table: string, requestedAt: string) => ({ runId, source: 'clr', table, mode: 'full' as const, requestedAt });

describe('State: local store, one file per item', () => {
  it('lists a table’s newest runs reading only those runs, not other tables’ nor older ones', async () => {
    // Prepare: every run but the two newest of users is unreadable
    const store = await freshStore();
    for (const [runId, table, hour] of [['u-1', 'users', 10], ['u-2', 'users', 11], ['u-3', 'users', 12], ['o-1', 'orders', 13]] as const) {
      await store.startRun(newRun(runId, table, `2025-11-05T${hour}:00:00.000Z`));
    }
    await writeFile(store.layout.run('u-1'), 'not json');
    await writeFile(store.layout.run('o-1'), 'not json');

    // Act
    const newest = await store.listRuns({ source: 'clr', table: 'users', limit: 2 });
    const all = store.listRuns({ source: 'clr', table: 'users', limit: 3 });

    // Assess
    expect(newest.map((run) => run.runId)).toEqual(['u-3', 'u-2']);
    await expect(all).rejects.toMatchObject({ name: 'StateError', retryable: false, message: expect.stringContaining(store.layout.run('u-1')) });
  });

  it('keeps apart tables and runs whose names differ only in case, as a case-insensitive file system would', async () => {
    // Prepare
    const store = await freshStore();

    // Act
    await store.commitWatermark('clr', 'Users', 'R-1', 'upper');
    await store.commitWatermark('clr', 'users', 'r-1', 'lower');

    // Assess
    expect((await store.getTableState('clr', 'Users')).watermark).toBe('upper');
    expect((await store.getTableState('clr', 'users')).watermark).toBe('lower');
    const names = await readdir(store.layout.runtime('clr', 'users').replace(/\/[^/]+$/, ''));
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(2);
  });

  it('lists and finds runs whose ids are too long to be read back from a file name', async () => {
    // Prepare: 120 capital letters take two characters each in a file name
    const store = await freshStore();
    const longId = `R${'X'.repeat(119)}`;
    await store.startRun({ ...newRun(longId, 'users', '2025-11-05T12:00:00.000Z'), jobRunId: 'jr_long' });
    await store.startRun(newRun('r-short', 'users', '2025-11-05T11:00:00.000Z'));

    // Act
    const listed = await store.listRuns({ source: 'clr', table: 'users', limit: 5 });
    const found = await store.findRunsByJobRunId('jr_long');

    // Assess
    expect(listed.map((run) => run.runId)).toEqual([longId, 'r-short']);
    expect(found.map((run) => run.runId)).toEqual([longId]);
  });
});
