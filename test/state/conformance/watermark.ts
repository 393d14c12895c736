import type { StoreFactory } from './store-factory.js';

const newRun = (runId: string, requestedAt: string) => ({ runId, source: 'clr', table: 'users', mode: 'incremental' as const, requestedAt });

/** The watermark rules every state store keeps; `name` says which store runs them. */
export function describeWatermark(name: string, freshStore: StoreFactory): void {
  describe(`State: watermark (${name})`, () => {
    it('starts a never-seen table with no watermark and no lease', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const state = await store.getTableState('clr', 'users');

      // Assess
      expect(state).toEqual({ source: 'clr', table: 'users', watermark: null, watermarkRunId: null, activeRun: null });
    });

    it('stores the watermark text exactly as given, precision and zone included', async () => {
      // Prepare
      const store = await freshStore();
      const watermark = '2025-11-05 12:00:00.123456+05:30';

      // Act
      const result = await store.commitWatermark('clr', 'users', 'run-1', watermark);

      // Assess
      expect(result).toEqual({ committed: true });
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark, watermarkRunId: 'run-1' });
    });

    it('changes nothing when the same run commits again', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(newRun('run-1', '2025-11-05T12:00:00.000Z'));
      await store.commitWatermark('clr', 'users', 'run-1', '100');

      // Act
      const again = await store.commitWatermark('clr', 'users', 'run-1', '100');

      // Assess
      expect(again).toEqual({ committed: false });
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '100', watermarkRunId: 'run-1' });
    });

    it('never moves the watermark back when an older run replays its commit', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(newRun('run-1', '2025-11-05T12:00:00.000Z'));
      await store.startRun(newRun('run-2', '2025-11-05T13:00:00.000Z'));
      await store.commitWatermark('clr', 'users', 'run-1', '100');
      await store.commitWatermark('clr', 'users', 'run-2', '200');

      // Act
      const replay = await store.commitWatermark('clr', 'users', 'run-1', '100');

      // Assess
      expect(replay).toEqual({ committed: false });
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: '200', watermarkRunId: 'run-2' });
    });

    it('accepts a null watermark, as a full run or an empty first window commits', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      await store.commitWatermark('clr', 'users', 'run-1', null);

      // Assess
      expect(await store.getTableState('clr', 'users')).toMatchObject({ watermark: null, watermarkRunId: 'run-1' });
    });

    it('refuses to commit a run onto another table', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun(newRun('run-1', '2025-11-05T12:00:00.000Z'));

      // Act
      const act = store.commitWatermark('clr', 'orders', 'run-1', '5');

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'StateError', retryable: false, message: 'run run-1 belongs to clr/users, not clr/orders' });
    });
  });
}
