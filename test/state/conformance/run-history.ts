import { toTableConfigs } from '../../../config/table-config.js';
import type { StoreFactory } from './store-factory.js';
import type { NewRun } from '../../../state/items.js';

const run = (runId: string, requestedAt: string, table = 'users'): NewRun => ({ runId, source: 'clr', table, mode: 'full', requestedAt });
const fixedClock = () => new Date('2025-11-05T12:30:00.000Z');

/** The run history rules every state store keeps; `name` says which store runs them. */
export function describeRunHistory(name: string, freshStore: StoreFactory): void {
  describe(`State: run history (${name})`, () => {
    it('records a new run as running with no steps, once however often it is started', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const first = await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      const second = await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));

      // Assess
      expect(first).toEqual({ ...run('run-1', '2025-11-05T12:00:00.000Z'), status: 'running', steps: [] });
      expect(second).toEqual(first);
      expect(await store.listRuns({ limit: 10 })).toHaveLength(1);
    });

    it('keeps the table summary on the run holding the table when a refused run is recorded', async () => {
      // Prepare: run-1 holds the table; run-2 came later but found it busy
      const store = await freshStore({ now: fixedClock });
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));

      // Act
      await store.startRun(run('run-2', '2025-11-05T12:05:00.000Z'), { asLastRun: false });
      await store.finishRun('run-2', 'failed', { name: 'TableBusy', message: 'table busy: run run-1', retryable: true });
      await store.finishRun('run-1', 'succeeded');

      // Assess: run-2 is in the history; the summary follows run-1 to its end
      expect((await store.getRun('run-2'))?.status).toBe('failed');
      expect((await store.getTableState('clr', 'users')).lastRun).toMatchObject({ runId: 'run-1', status: 'succeeded' });
    });

    it('lists runs newest first, filtered by table and cut at the limit', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(run('run-b', '2025-11-05T13:00:00.000Z'));
      await store.startRun(run('run-a', '2025-11-05T12:00:00.000Z'));
      await store.startRun(run('run-c', '2025-11-05T14:00:00.000Z'));
      await store.startRun(run('run-o', '2025-11-05T15:00:00.000Z', 'orders'));

      await store.startRun(run('run-d', '2025-11-05T13:00:00.000Z'));

      // Act
      const users = await store.listRuns({ source: 'clr', table: 'users', limit: 10 });
      const newestTwo = await store.listRuns({ limit: 2 });
      const ofSource = await store.listRuns({ source: 'clr', limit: 3 });

      // Assess: runs requested at the same time by run id, newest first
      expect(users.map((r) => r.runId)).toEqual(['run-c', 'run-d', 'run-b', 'run-a']);
      expect(newestTwo.map((r) => r.runId)).toEqual(['run-o', 'run-c']);
      expect(ofSource.map((r) => r.runId)).toEqual(['run-o', 'run-c', 'run-d']);
    });

    it('replaces a step recorded twice under the same name', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      await store.recordStep('run-1', { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z' });

      // Act
      await store.recordStep('run-1', { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z', finishedAt: '2025-11-05T12:02:00.000Z', rows: 1523 });
      await store.recordStep('run-1', { name: 'load-and-merge', startedAt: '2025-11-05T12:02:01.000Z', details: { inserted: 2 } });

      // Assess
      expect((await store.getRun('run-1'))?.steps).toEqual([
        { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z', finishedAt: '2025-11-05T12:02:00.000Z', rows: 1523 },
        { name: 'load-and-merge', startedAt: '2025-11-05T12:02:01.000Z', details: { inserted: 2 } },
      ]);
    });

    it('records a step with the facts it learned, and with the end of the run, even a run already ended', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      await store.recordStep('run-1', { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z' });

      // Act
      await store.updateRun('run-1', { manifestUrl: 's3://bucket/raw/_manifests/run-1.json', rowsExtracted: 3 },
        { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z', finishedAt: '2025-11-05T12:02:00.000Z', rows: 3 });
      await store.finishRun('run-1', 'succeeded', undefined, { name: 'build-gold', startedAt: '2025-11-05T12:03:00.000Z', details: { models: 1 } });
      const ended = await store.getRun('run-1');
      await store.finishRun('run-1', 'succeeded', undefined, { name: 'build-gold', startedAt: '2025-11-05T12:09:00.000Z', details: { models: 2 } });

      // Assess: the extract step replaced in place, build-gold added; a second end keeps the first finishedAt but takes its step
      expect(ended).toMatchObject({
        status: 'succeeded', manifestUrl: 's3://bucket/raw/_manifests/run-1.json', rowsExtracted: 3,
        steps: [
          { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z', finishedAt: '2025-11-05T12:02:00.000Z', rows: 3 },
          { name: 'build-gold', startedAt: '2025-11-05T12:03:00.000Z', details: { models: 1 } },
        ],
      });
      const again = await store.getRun('run-1');
      expect(again?.finishedAt).toBe(ended?.finishedAt);
      expect(again?.steps[1]).toEqual({ name: 'build-gold', startedAt: '2025-11-05T12:09:00.000Z', details: { models: 2 } });
    });

    it('finds every run of a Glue job run, oldest first, and none for a job run no run names', async () => {
      // Prepare: one job run extracting three tables, each its own run; run-1 has no job run
      const store = await freshStore();
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      await store.startRun(run('run-c', '2025-11-05T13:00:00.000Z', 'coupons'));
      await store.startRun(run('run-a', '2025-11-05T13:00:00.000Z', 'orders'));
      await store.startRun({ ...run('run-b', '2025-11-05T12:30:00.000Z', 'items'), jobRunId: 'jr_abc' });
      await store.updateRun('run-c', { jobRunId: 'jr_abc', manifestUrl: 's3://bucket/raw/_manifests/run-c.json' });
      await store.updateRun('run-a', { jobRunId: 'jr_abc' });

      // Act
      const found = await store.findRunsByJobRunId('jr_abc');
      const missing = await store.findRunsByJobRunId('jr_zzz');

      // Assess: by requestedAt, then run id
      expect(found.map((r) => r.runId)).toEqual(['run-b', 'run-a', 'run-c']);
      expect(found[2]).toMatchObject({ runId: 'run-c', table: 'coupons', jobRunId: 'jr_abc', manifestUrl: 's3://bucket/raw/_manifests/run-c.json' });
      expect(missing).toEqual([]);
    });

    it('finds a run under its new Glue job run id only, once the id is replaced', async () => {
      // Prepare: the first job start was lost and the run started a second one
      const store = await freshStore();
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      await store.updateRun('run-1', { jobRunId: 'jr_first' });

      // Act
      await store.updateRun('run-1', { jobRunId: 'jr_second' });

      // Assess
      expect(await store.findRunsByJobRunId('jr_first')).toEqual([]);
      expect((await store.findRunsByJobRunId('jr_second')).map((r) => r.runId)).toEqual(['run-1']);
    });

    it('keeps the schema changes of a run as recorded', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      const schemaChanges = [
        { column: 'qty', change: 'widened' as const, from: { sourceType: 'integer', arrowType: 'int32' }, to: { sourceType: 'bigint', arrowType: 'int64' } },
        { column: 'note', change: 'dropped' as const, from: { sourceType: 'text', arrowType: 'string' } },
      ];

      // Act
      await store.updateRun('run-1', { inserted: 1, updated: 2, schemaChanges });

      // Assess
      expect(await store.getRun('run-1')).toMatchObject({ inserted: 1, updated: 2, schemaChanges });
    });

    it('finishes a run once, with its error, and shows it as the table last run', async () => {
      // Prepare
      const store = await freshStore({ now: fixedClock });
      await store.startRun(run('run-1', '2025-11-05T12:00:00.000Z'));
      const error = { name: 'SourceError', message: 'connection refused to clr', retryable: true };

      // Act
      await store.finishRun('run-1', 'failed', error);
      await store.finishRun('run-1', 'failed', error);

      // Assess
      expect(await store.getRun('run-1')).toMatchObject({ status: 'failed', finishedAt: '2025-11-05T12:30:00.000Z', error });
      expect((await store.getTableState('clr', 'users')).lastRun).toEqual({
        runId: 'run-1',
        status: 'failed',
        requestedAt: '2025-11-05T12:00:00.000Z',
        finishedAt: '2025-11-05T12:30:00.000Z',
      });
    });

    it('refuses steps for a run that was never started', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const act = store.recordStep('run-x', { name: 'extract', startedAt: '2025-11-05T12:00:01.000Z' });

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'StateError', retryable: false, message: 'run run-x is not in the state store; start it with startRun first' });
    });

    it('keeps pushed table configs, replacing an item pushed again', async () => {
      // Prepare
      const store = await freshStore();
      const [users] = toTableConfigs({
        raw: '/r',
        state: '/s',
        warehouse: 'duckdb:///w',
        gold: '/g',
        sources: [{ name: 'clr', engine: 'postgres', connection: 'postgresql://h/db', maxConnections: 4, tables: [{ name: 'users', primaryKey: ['id'], partitions: 1, lookbackSeconds: 0, mode: 'full' }] }],
      });
      if (users === undefined) throw new Error('fixture has one table');

      // Act
      await store.putTableConfigs([users]);
      await store.putTableConfigs([{ ...users, primaryKey: ['id', 'tenant_id'] }]);

      // Assess
      expect(await store.getTableConfig('clr', 'users')).toEqual({ ...users, primaryKey: ['id', 'tenant_id'] });
      expect(await store.getTableConfig('clr', 'orders')).toBeNull();
    });
  });
}
