import type { StoreFactory } from './store-factory.js';

const minute = 60_000;
const t0 = new Date('2025-11-05T12:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

/** The lease rules every state store keeps; `name` says which store runs them. */
export function describeLease(name: string, freshStore: StoreFactory): void {
  describe(`State: lease (${name})`, () => {
    it('grants the lease on a table nobody holds', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const result = await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Assess
      expect(result).toEqual({ acquired: true, since: '2025-11-05T12:00:00.000Z', expiresAt: '2025-11-05T12:05:00.000Z' });
      expect((await store.getTableState('clr', 'users')).activeRun).toEqual({
        runId: 'run-1',
        since: '2025-11-05T12:00:00.000Z',
        expiresAt: '2025-11-05T12:05:00.000Z',
      });
    });

    it('refuses a second run while the lease is live, naming the holder', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Act
      const result = await store.acquireLease('clr', 'users', 'run-2', at(4 * minute), 5 * minute);

      // Assess
      expect(result).toEqual({ acquired: false, heldBy: 'run-1', since: '2025-11-05T12:00:00.000Z', expiresAt: '2025-11-05T12:05:00.000Z' });
    });

    it('lets the holder acquire again, keeping since and renewing the expiry', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Act
      const result = await store.acquireLease('clr', 'users', 'run-1', at(minute), 5 * minute);

      // Assess
      expect(result).toEqual({ acquired: true, since: '2025-11-05T12:00:00.000Z', expiresAt: '2025-11-05T12:06:00.000Z' });
    });

    it('lets another run take over an expired lease', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Act
      const result = await store.acquireLease('clr', 'users', 'run-2', at(5 * minute), 5 * minute);

      // Assess
      expect(result).toEqual({ acquired: true, since: '2025-11-05T12:05:00.000Z', expiresAt: '2025-11-05T12:10:00.000Z' });
      expect((await store.getTableState('clr', 'users')).activeRun?.runId).toBe('run-2');
    });

    it('keeps the lease when a run that does not hold it releases it', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Act
      const released = await store.releaseLease('clr', 'users', 'run-2');

      // Assess
      expect(released).toBe(false);
      expect((await store.getTableState('clr', 'users')).activeRun?.runId).toBe('run-1');
    });

    it('frees the table when the holder releases it, so the next run gets it at once', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Act
      const released = await store.releaseLease('clr', 'users', 'run-1');
      const next = await store.acquireLease('clr', 'users', 'run-2', at(minute), 5 * minute);

      // Assess
      expect(released).toBe(true);
      expect(next.acquired).toBe(true);
    });

    it('keeps leases of different tables apart', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireLease('clr', 'users', 'run-1', t0, 5 * minute);

      // Act
      const other = await store.acquireLease('clr', 'orders', 'run-2', t0, 5 * minute);

      // Assess
      expect(other.acquired).toBe(true);
    });
  });
}
