import { loadConfig, toTableConfigs } from '../../config/index.js';
import { statusCommand, type TableStatus } from '../../cli/status.js';
import { markQueued } from '../../pipeline/queued.js';
import type { LocalStateStore } from '../../state/index.js';
import { captureOutput, SECRET, tempProject } from './helpers.js';

const at = (time: string): Date => new Date(`2025-11-05T${time}.000Z`);
const statusAt = (time: string) => ({ now: () => at(time) });
const SIX_HOURS = 6 * 60 * 60 * 1000;

/**
 * A project where clr.users had a successful run r1 (1523 rows, finished 12:03:10)
 * and is now extracting r2 (lease taken 12:10:00); clr.coupons never ran.
 */
async function projectWithHistory(): Promise<{ configFile: string; store: LocalStateStore; clock: { time: string } }> {
  const clock = { time: '12:00:00' };
  const project = await tempProject({ now: () => at(clock.time) });
  const { store } = project;
  await store.putTableConfigs(toTableConfigs(await loadConfig(project.configFile)));
  await store.startRun({ runId: 'r1', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('12:00:00').toISOString() });
  await store.acquireLease('clr', 'clr.users', 'r1', at('12:00:00'), SIX_HOURS);
  await store.recordStep('r1', { name: 'extract', startedAt: at('12:00:01').toISOString(), finishedAt: at('12:02:40').toISOString(), rows: 1523 });
  await store.updateRun('r1', { rowsExtracted: 1523, inserted: 1200, updated: 323 });
  await store.commitWatermark('clr', 'clr.users', 'r1', '2025-11-05 12:00:00.000000+00:00');
  clock.time = '12:03:10';
  await store.finishRun('r1', 'succeeded');
  await store.releaseLease('clr', 'clr.users', 'r1');
  await store.startRun({ runId: 'r2', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('12:10:00').toISOString() });
  await store.acquireLease('clr', 'clr.users', 'r2', at('12:10:00'), SIX_HOURS);
  return { configFile: project.configFile, store, clock };
}

describe('CLI: floe status', () => {
  it('prints one row per configured table with its watermark, last run, lease and lag', async () => {
    // Prepare
    const { configFile } = await projectWithHistory();

    // Act
    const { code, stdout, stderr } = await captureOutput(() => statusCommand(['--config', configFile], statusAt('12:15:22')));

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      'table            mode         watermark                         last run   status   finished  state                                  rows extracted  inserted  updated  lag',
      'clr/clr.users    incremental  2025-11-05 12:00:00.000000+00:00  r2         running  -         running r2 since 2025-11-05 12:10:00Z  -               -         -        12m 12s',
      'clr/clr.coupons  full         -                                 never run  -        -         idle                                   -               -         -        -',
      '',
    ]);
  });

  it('prints the same facts as one JSON array with --json, the lag in seconds', async () => {
    // Prepare
    const { configFile } = await projectWithHistory();

    // Act
    const { code, stdout } = await captureOutput(() => statusCommand(['--config', configFile, '--json'], statusAt('12:15:22')));

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        source: 'clr',
        table: 'clr.users',
        mode: 'incremental',
        watermark: '2025-11-05 12:00:00.000000+00:00',
        lastRun: { runId: 'r2', status: 'running', requestedAt: '2025-11-05T12:10:00.000Z', finishedAt: null, rowsExtracted: null, inserted: null, updated: null },
        state: 'running',
        activeRun: { runId: 'r2', since: '2025-11-05T12:10:00.000Z', expiresAt: '2025-11-05T18:10:00.000Z' },
        queued: null,
        lastSucceededAt: '2025-11-05T12:03:10.000Z',
        lagSeconds: 732,
      },
      {
        source: 'clr',
        table: 'clr.coupons',
        mode: 'full',
        watermark: null,
        lastRun: null,
        state: 'idle',
        activeRun: null,
        queued: null,
        lastSucceededAt: null,
        lagSeconds: null,
      },
    ]);
  });

  it('shows a run waiting for its job run to start as queued, with why and since when, and as running once it starts', async () => {
    // Prepare: r2 waits for clr's connections (the local job runner, or start-ingest on AWS, records it)
    const { configFile, store } = await projectWithHistory();
    const reason = "source clr: its 4 connection(s) (maxConnections) are taken (run r0 holds 4)";
    await markQueued(store, ['r2'], { since: at('12:10:01').toISOString(), reason });

    // Act
    const waiting = await captureOutput(() => statusCommand(['--config', configFile], statusAt('12:15:22')));
    const waitingJson = await captureOutput(() => statusCommand(['--config', configFile, '--json'], statusAt('12:15:22')));
    await markQueued(store, ['r2'], null);
    const started = await captureOutput(() => statusCommand(['--config', configFile, '--json'], statusAt('12:15:22')));

    // Assess
    expect(waiting.stdout.split('\n')[1]).toContain(`queued r2 since 2025-11-05 12:10:01Z: ${reason}`);
    expect((JSON.parse(waitingJson.stdout) as TableStatus[])[0]).toMatchObject({ state: 'queued', queued: { since: '2025-11-05T12:10:01.000Z', reason }, activeRun: { runId: 'r2' } });
    expect((JSON.parse(started.stdout) as TableStatus[])[0]).toMatchObject({ state: 'running', queued: null });
  });

  it('shows the rows of the last run once it finished, and a lease past its expiry as expired', async () => {
    // Prepare
    const { configFile, store, clock } = await projectWithHistory();
    await store.updateRun('r2', { rowsExtracted: 12, inserted: 2, updated: 10 });
    clock.time = '12:11:00';
    await store.finishRun('r2', 'succeeded');
    await store.releaseLease('clr', 'clr.users', 'r2');
    await store.startRun({ runId: 'r3', source: 'clr', table: 'clr.coupons', mode: 'full', requestedAt: at('12:00:00').toISOString() });
    await store.acquireLease('clr', 'clr.coupons', 'r3', at('12:00:00'), 60_000);

    // Act
    const { stdout } = await captureOutput(() => statusCommand(['--config', configFile], statusAt('14:11:05')));

    // Assess
    expect(stdout.split('\n')).toEqual([
      'table            mode         watermark                         last run  status     finished              state                                    rows extracted  inserted  updated  lag',
      'clr/clr.users    incremental  2025-11-05 12:00:00.000000+00:00  r2        succeeded  2025-11-05 12:11:00Z  idle                                     12              2         10       2h 0m',
      'clr/clr.coupons  full         -                                 r3        running    -                     lease expired 2025-11-05 12:01:00Z (r3)  -               -         -        -',
      '',
    ]);
  });

  it('measures the lag from the last successful run when the newest run failed', async () => {
    // Prepare
    const { configFile, store, clock } = await projectWithHistory();
    clock.time = '12:20:00';
    await store.finishRun('r2', 'failed', { name: 'SourceError', message: 'table clr.users: connection refused', retryable: true });
    await store.releaseLease('clr', 'clr.users', 'r2');

    // Act
    const { stdout } = await captureOutput(() => statusCommand(['--config', configFile, '--table', 'users', '--json'], statusAt('13:03:10')));

    // Assess
    const [users] = JSON.parse(stdout) as { lastRun: unknown; state: string; lastSucceededAt: string; lagSeconds: number }[];
    expect(users?.lastRun).toEqual({ runId: 'r2', status: 'failed', requestedAt: '2025-11-05T12:10:00.000Z', finishedAt: '2025-11-05T12:20:00.000Z', rowsExtracted: null, inserted: null, updated: null });
    expect(users?.state).toBe('idle');
    expect(users?.lastSucceededAt).toBe('2025-11-05T12:03:10.000Z');
    expect(users?.lagSeconds).toBe(3600);
  });

  it('never prints the source connection, in text or JSON', async () => {
    // Prepare
    const { configFile } = await projectWithHistory();

    // Act
    const text = await captureOutput(() => statusCommand(['--config', configFile], statusAt('12:15:22')));
    const json = await captureOutput(() => statusCommand(['--config', configFile, '--json'], statusAt('12:15:22')));

    // Assess
    for (const output of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain('db.internal');
    }
  });

  it('lists the schema changes of the last run below the table, and in --json', async () => {
    // Prepare
    const { configFile, store } = await projectWithHistory();
    const schemaChanges = [
      { column: 'age', change: 'widened' as const, from: { sourceType: 'integer', arrowType: 'int32' }, to: { sourceType: 'bigint', arrowType: 'int64' } },
      { column: 'nick', change: 'added' as const, to: { sourceType: 'text', arrowType: 'string' } },
    ];
    await store.updateRun('r2', { schemaChanges });

    // Act
    const text = await captureOutput(() => statusCommand(['--config', configFile], statusAt('12:15:22')));
    const json = await captureOutput(() => statusCommand(['--config', configFile, '--json'], statusAt('12:15:22')));

    // Assess
    expect(text.stdout.split('\n').slice(3)).toEqual(['schema changes:', '  clr/clr.users (run r2): age widened integer → bigint; nick added (text)', '']);
    const [users] = JSON.parse(json.stdout) as { lastRun: { schemaChanges?: unknown } }[];
    expect(users?.lastRun.schemaChanges).toEqual(schemaChanges);
  });
});
