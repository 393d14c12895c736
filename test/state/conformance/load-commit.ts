import type { StoreFactory } from './store-factory.js';

const newRun = (runId: string, requestedAt: string) => ({ runId, source: 'clr', table: 'users', mode: 'incremental' as const, requestedAt });
const step = { name: 'load-and-merge' as const, startedAt: '2025-11-05T12:01:00.000Z', finishedAt: '2025-11-05T12:01:02.000Z', rows: 0 };
const lease = (store: Awaited<ReturnType<StoreFactory>>, runId: string) => store.acquireLease('clr', 'users', runId, new Date(), 60_000);

/** The end of a run's load (`commitLoad`) as every state store keeps it; `name` says which store runs them. */
export function describeLoadCommit(name: string, freshStore: StoreFactory): void {
  describe(`State: a run's load committed in one call (${name})`, () => {
    it("commits the watermark, records the run's facts and step, and frees its lease", async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(newRun('run-1', '2025-11-05T12:00:00.000Z'));
      await lease(store, 'run-1');

      // Act
      const result = await store.commitLoad('run-1', { watermark: { value: '100' }, update: { inserted: 3, updated: 1 }, step, releaseLease: true });

      // Assess
      expect(result).toEqual({ committed: true, released: true });
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '100', watermarkRunId: 'run-1', activeRun: null });
      const run = await store.getRun('run-1');
      expect(run).toMatchObject({ inserted: 3, updated: 1, steps: [step], watermarkCommittedAt: expect.any(String) });
    });

    it('changes no watermark and frees no lease when the same run commits again after a later run took the table', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(newRun('run-1', '2025-11-05T12:00:00.000Z'));
      await store.startRun(newRun('run-2', '2025-11-05T13:00:00.000Z'));
      await lease(store, 'run-1');
      await store.commitLoad('run-1', { watermark: { value: '100' }, update: {}, step, releaseLease: true });
      await lease(store, 'run-2');
      await store.commitWatermark('clr', 'users', 'run-2', '200');

      // Act
      const again = await store.commitLoad('run-1', { watermark: { value: '100' }, update: {}, step, releaseLease: true });

      // Assess
      expect(again).toEqual({ committed: false, released: false });
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '200', watermarkRunId: 'run-2', activeRun: { runId: 'run-2' } });
    });

    it('leaves the watermark where it is without one, and frees a lease only its run holds', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(newRun('run-1', '2025-11-05T12:00:00.000Z'));
      await store.commitWatermark('clr', 'users', 'run-0', '50');

      // Act
      const result = await store.commitLoad('run-1', { update: { inserted: 0, updated: 0 }, step, releaseLease: true });

      // Assess
      expect(result).toEqual({ committed: false, released: false });
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '50', watermarkRunId: 'run-0', activeRun: null });
      expect((await store.getRun('run-1'))?.steps).toEqual([step]);
    });

    it('refuses a run that was never started', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const commit = store.commitLoad('run-9', { watermark: { value: '1' }, update: {}, step, releaseLease: true });

      // Assess
      await expect(commit).rejects.toThrow(/run-9/);
    });
  });
}
