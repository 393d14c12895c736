import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LocalStateStore } from '../../state/local.js';
import { exited, forkScript, tempFolder } from './helpers.js';

const started = { source: 'clr', table: 'users', mode: 'full' as const, requestedAt: '2025-11-05T12:00:00.000Z' };

/** A store with one committed watermark, and its folder. */
async function storeWithState(options: ConstructorParameters<typeof LocalStateStore>[1] = {}): Promise<LocalStateStore> {
  const store = new LocalStateStore(join(await tempFolder(), 'state'), options);
  await store.commitWatermark('clr', 'users', 'run-1', '100');
  return store;
}

describe('State: crash safety of the local state file', () => {
  it('ignores a garbage temp file beside state.json and removes it on the next write', async () => {
    // Prepare
    const store = await storeWithState();
    const garbage = join(store.folder, `state.json.${process.pid}.0badc0ffee00.tmp`);
    await writeFile(garbage, '{"version": 1, "tables": {"clr/us');

    // Act
    const before = await store.getTableState('clr', 'users');
    await store.startRun({ runId: 'run-2', ...started });

    // Assess
    expect(before.watermark).toBe('100');
    expect(await readdir(store.folder)).toEqual(['state.json']);
  });

  it('recovers from a writer that crashed mid-write holding the lock: state intact, lock broken once stale', async () => {
    // Prepare
    const store = await storeWithState({ lockStaleMs: 300 });
    const child = await forkScript(
      `import { open } from 'node:fs/promises';
       import { withFileLock } from 'ROOT/state/file-lock.ts';
       const [folder] = process.argv.slice(2);
       await withFileLock(folder + '/state.json.lock', { timeoutMs: 5000, staleMs: 30000 }, async () => {
         const temp = await open(folder + '/state.json.' + process.pid + '.abcdef012345.tmp', 'wx');
         await temp.write('{"version":1,"tableConfigs":{},"tables":{"clr/users":{"watermark":"9');
         process.exit(1); // the crash: no fsync, no rename, no unlock
       });`,
      [store.folder],
    );
    await exited(child);
    const leftovers = await readdir(store.folder);

    // Act
    const during = await store.getTableState('clr', 'users');
    const lease = await store.acquireLease('clr', 'users', 'run-2', new Date(), 60_000);

    // Assess
    expect(leftovers.sort()).toEqual(['state.json', `state.json.${String(child.pid)}.abcdef012345.tmp`, 'state.json.lock']);
    expect(during.watermark).toBe('100');
    expect(lease.acquired).toBe(true);
    expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '100', activeRun: { runId: 'run-2' } });
    expect(await readdir(store.folder)).toEqual(['state.json']);
  });

  it('waits for a live holder and gives up with a retryable error naming it', async () => {
    // Prepare
    const store = await storeWithState({ lockTimeoutMs: 200 });
    const lock = { pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString(), token: 'held-by-test' };
    await writeFile(join(store.folder, 'state.json.lock'), JSON.stringify(lock));

    // Act
    const act = store.startRun({ runId: 'run-2', ...started });

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'StateError',
      retryable: true,
      message: `${join(store.folder, 'state.json.lock')} is held by pid ${process.pid} on ${hostname()} since ${lock.createdAt}; gave up after 200 ms (delete it if no floe process is running)`,
    });
  });

  it('breaks a lock older than 30 s whose process is dead', async () => {
    // Prepare
    const store = await storeWithState({ lockTimeoutMs: 2000 });
    const child = await forkScript('process.exit(0);', []);
    await exited(child);
    const lock = { pid: child.pid, hostname: hostname(), createdAt: new Date(Date.now() - 31_000).toISOString(), token: 'dead' };
    await writeFile(join(store.folder, 'state.json.lock'), JSON.stringify(lock));

    // Act
    await store.startRun({ runId: 'run-2', ...started });

    // Assess
    expect(await store.getRun('run-2')).toMatchObject({ status: 'running' });
  });

  it('says a state.json that is not JSON is not floe’s doing, without retrying', async () => {
    // Prepare
    const folder = join(await tempFolder(), 'state');
    await mkdir(folder);
    await writeFile(join(folder, 'state.json'), '{"version": 1, "tabl');
    const store = new LocalStateStore(folder);

    // Act
    const act = store.getTableState('clr', 'users');

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'StateError',
      retryable: false,
      message: `${join(folder, 'state.json')} is not valid JSON; floe never writes it in place, so restore it from a backup or delete it to start over`,
    });
  });

  it('writes state.json as whole, readable JSON', async () => {
    // Prepare
    const store = await storeWithState();

    // Act
    const text = await readFile(join(store.folder, 'state.json'), 'utf8');

    // Assess
    expect(JSON.parse(text)).toMatchObject({ version: 1, tables: { 'clr/users': { watermark: '100' } } });
  });
});
