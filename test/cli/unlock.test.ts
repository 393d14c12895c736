import { runCommand, EXIT_TABLE_BUSY } from '../../cli/run.js';
import { unlockCommand } from '../../cli/unlock.js';
import { captureOutput, tempProject } from './helpers.js';

const HOUR = 60 * 60 * 1000;

describe('CLI: a table held by a run', () => {
  it('makes floe run exit with the busy code, naming the run that holds the table', async () => {
    // Prepare: run r-other holds clr.users (another floe run, still working)
    const { configFile, store } = await tempProject();
    const since = new Date();
    await store.acquireLease('clr', 'clr.users', 'r-other', since, 6 * HOUR);

    // Act
    const { code, stdout } = await captureOutput(() => runCommand(['--config', configFile, '--table', 'clr.users']));

    // Assess: nothing was taken from r-other
    expect(code).toBe(EXIT_TABLE_BUSY);
    expect(stdout).toContain(`FAILED start-ingest: table busy: run r-other since ${since.toISOString()}`);
    expect((await store.getTableState('clr', 'clr.users')).activeRun).toMatchObject({ runId: 'r-other' });
  });

  it('is freed by floe unlock <run-id>, which says what it unlocked and ends the dead run', async () => {
    // Prepare: run r-dead was killed mid-extraction, leaving its lease and a running record
    const since = new Date('2025-11-05T12:00:00Z');
    const { configFile, store } = await tempProject({ now: () => since });
    await store.startRun({ runId: 'r-dead', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: since.toISOString() });
    await store.acquireLease('clr', 'clr.users', 'r-dead', since, 6 * HOUR);

    // Act
    const { code, stdout } = await captureOutput(() => unlockCommand(['r-dead', '--config', configFile]));

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('unlocked clr/clr.users: released the lease of run r-dead (held since 2025-11-05 12:00:00Z, expiring 2025-11-05 18:00:00Z); run r-dead is now failed.');
    expect((await store.getTableState('clr', 'clr.users')).activeRun).toBeNull();
    expect(await store.getRun('r-dead')).toMatchObject({ status: 'failed', error: { name: 'Unlocked', retryable: true } });
  });

  it('refuses to unlock a run that holds nothing, and leaves the holder alone', async () => {
    // Prepare
    const { configFile, store } = await tempProject();
    await store.acquireLease('clr', 'clr.users', 'r-live', new Date(), 6 * HOUR);

    // Act
    const { code, stderr } = await captureOutput(() => unlockCommand(['r-typo', '--config', configFile]));

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('run r-typo holds no table\'s lease');
    expect((await store.getTableState('clr', 'clr.users')).activeRun).toMatchObject({ runId: 'r-live' });
  });
});
