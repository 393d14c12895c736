import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { LocalStateStore } from '../../state/local.js';
import { crashingWriter, exited, forkScript, tempFolder } from './helpers.js';

const started = { source: 'clr', table: 'users', mode: 'full' as const, requestedAt: '2025-11-05T12:00:00.000Z' };
const USERS_LOCK = 'table clr/users';

/** A store with one committed watermark, and its folder. */
async function storeWithState(options: ConstructorParameters<typeof LocalStateStore>[1] = {}): Promise<LocalStateStore> {
  const store = new LocalStateStore(join(await tempFolder(), 'state'), options);
  await store.commitWatermark('clr', 'users', 'run-1', '100');
  return store;
}

describe('State: crash safety of the local state store', () => {
  it('recovers from a writer that died mid-write holding a table’s lock: item intact, lock broken once stale, temp file removed', async () => {
    // Prepare
    const store = await storeWithState();
    const died = await crashingWriter(store.folder, '/runtime/', '', `await store.acquireLease('clr', 'users', 'run-9', new Date(), 60000);`);
    const leftTemp = await readdir(store.layout.temp);
    const leftLocks = await readdir(store.layout.locks);

    // Act
    const during = await store.getTableState('clr', 'users');
    const next = new LocalStateStore(store.folder, { lockStaleMs: 300 });
    const lease = await next.acquireLease('clr', 'users', 'run-2', new Date(), 60_000);

    // Assess
    expect(died).toBe(9);
    expect(leftTemp).toHaveLength(1);
    expect(leftLocks).toEqual([basename(store.layout.lock(USERS_LOCK))]);
    expect(during).toMatchObject({ watermark: '100', activeRun: null });
    expect(lease.acquired).toBe(true);
    expect(await next.getTableState('clr', 'users')).toMatchObject({ watermark: '100', activeRun: { runId: 'run-2' } });
    expect(await readdir(store.layout.temp)).toEqual([]);
    expect(await readdir(store.layout.locks)).toEqual([]);
  });

  it("finishes a run's folded load commit that a crash cut in half: the next writer sees the watermark moved and the lease free", async () => {
    // Prepare: run-2's commit died with its run record written and the table's state not
    const store = await storeWithState({ lockStaleMs: 300 });
    const prepare = `await store.startRun({ runId: 'run-2', source: 'clr', table: 'users', mode: 'incremental', requestedAt: '2025-11-05T12:00:00.000Z' });
      await store.acquireLease('clr', 'users', 'run-2', new Date(), 60000);`;
    const step = `{ name: 'load-and-merge', startedAt: '2025-11-05T12:01:00.000Z', finishedAt: '2025-11-05T12:01:02.000Z', rows: 5 }`;
    const died = await crashingWriter(store.folder, '/runtime/', prepare, `await store.commitLoad('run-2', { watermark: { value: '200' }, update: { inserted: 5, updated: 0 }, step: ${step}, releaseLease: true });`);
    const halfway = await store.getTableState('clr', 'users');

    // Act: the next run asks for the table
    const lease = await store.acquireLease('clr', 'users', 'run-3', new Date(), 60_000);

    // Assess
    expect(died).toBe(9);
    expect(halfway).toMatchObject({ watermark: '100', activeRun: { runId: 'run-2' } });
    expect(lease.acquired).toBe(true);
    expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '200', watermarkRunId: 'run-2', activeRun: { runId: 'run-3' } });
    expect(await store.getRun('run-2')).toMatchObject({ inserted: 5, watermarkCommittedAt: expect.any(String), steps: [{ name: 'load-and-merge', rows: 5 }] });
  });

  it('finishes a change of two items that a crash cut in half before the table is decided on again', async () => {
    // Prepare: run-2's commit died with the table's watermark written and the run not yet marked
    const store = await storeWithState({ lockStaleMs: 300 });
    const newRun = (runId: string) => `await store.startRun({ runId: '${runId}', source: 'clr', table: 'users', mode: 'incremental', requestedAt: '2025-11-05T12:00:00.000Z' });`;
    const died = await crashingWriter(store.folder, '/runs/', `${newRun('run-2')} ${newRun('run-3')}`, `await store.commitWatermark('clr', 'users', 'run-2', '200');`);
    const halfway = [(await store.getTableState('clr', 'users')).watermarkRunId, (await store.getRun('run-2'))?.watermarkCommittedAt];

    // Act: a later run commits, then run-2's commit is delivered again
    const later = await store.commitWatermark('clr', 'users', 'run-3', '300');
    const replayed = await store.commitWatermark('clr', 'users', 'run-2', '200');

    // Assess: the watermark never went back to 200
    expect(died).toBe(9);
    expect(halfway).toEqual(['run-2', undefined]);
    expect(later).toEqual({ committed: true });
    expect(replayed).toEqual({ committed: false });
    expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '300', watermarkRunId: 'run-3' });
    expect((await store.getRun('run-2'))?.watermarkCommittedAt).toEqual(expect.any(String));
    expect(await readdir(store.layout.locks)).toEqual([]);
  });

  it('waits for a live holder and gives up with a retryable error naming it', async () => {
    // Prepare
    const store = await storeWithState({ lockTimeoutMs: 200 });
    const lock = { pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString(), token: 'held-by-test' };
    await writeFile(store.layout.lock(USERS_LOCK), JSON.stringify(lock));

    // Act
    const act = store.startRun({ runId: 'run-2', ...started });

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'StateError',
      retryable: true,
      message: `${store.layout.lock(USERS_LOCK)} is held by pid ${process.pid} on ${hostname()} since ${lock.createdAt}; gave up after 200 ms (delete it if no floe process is running)`,
    });
  });

  it('breaks a lock older than 30 s whose process is dead', async () => {
    // Prepare
    const store = await storeWithState({ lockTimeoutMs: 2000 });
    const child = await forkScript('process.exit(0);', []);
    await exited(child);
    const lock = { pid: child.pid, hostname: hostname(), createdAt: new Date(Date.now() - 31_000).toISOString(), token: 'dead' };
    await writeFile(store.layout.lock(USERS_LOCK), JSON.stringify(lock));

    // Act
    await store.startRun({ runId: 'run-2', ...started });

    // Assess
    expect(await store.getRun('run-2')).toMatchObject({ status: 'running' });
  });

  it('says an item that is not JSON is not floe’s doing, naming the file, without retrying', async () => {
    // Prepare
    const store = await storeWithState();
    await writeFile(store.layout.runtime('clr', 'users'), '{"source": "clr", "tabl');

    // Act
    const act = store.getTableState('clr', 'users');

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'StateError',
      retryable: false,
      message: `${store.layout.runtime('clr', 'users')} is not valid JSON; floe writes every state file whole (a temp file renamed over it), so restore it from a backup or delete it`,
    });
  });

  it('writes each item as whole, readable JSON in its own file', async () => {
    // Prepare
    const store = await storeWithState();
    await store.putTableConfigs([{ source: 'clr', table: 'users', engine: 'postgres', primaryKey: ['id'], mode: 'full', partitions: 1, lookbackSeconds: 0 }]);

    // Act
    const state = await readFile(store.layout.runtime('clr', 'users'), 'utf8');
    const config = await readFile(store.layout.tableConfig('clr', 'users'), 'utf8');

    // Assess
    expect(JSON.parse(state)).toEqual({ source: 'clr', table: 'users', watermark: '100', watermarkRunId: 'run-1', activeRun: null });
    expect(JSON.parse(config)).toMatchObject({ source: 'clr', table: 'users', primaryKey: ['id'] });
  });

  it('reads a folder it may not write without creating anything in it', async () => {
    // Prepare
    const folder = join(await tempFolder(), 'state');
    await mkdir(folder);
    const store = new LocalStateStore(folder);

    // Act
    const state = await store.getTableState('clr', 'users');
    const runs = await store.listRuns({ limit: 10 });

    // Assess
    expect(state.watermark).toBeNull();
    expect(runs).toEqual([]);
    expect(await readdir(folder)).toEqual([]);
  });
});
