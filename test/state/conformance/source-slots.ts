import type { StoreFactory } from './store-factory.js';

const minute = 60_000;
const t0 = new Date('2025-11-05T12:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const CONTENDERS = 8;

/** The connection-slot rules every state store keeps; `name` says which store runs them. */
export function describeSourceSlots(name: string, freshStore: StoreFactory): void {
  describe(`State: source connection slots (${name})`, () => {
    it('grants what a first holder wants, up to the limit', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const small = await store.acquireSourceSlots('clr', 'run-a', 3, 5, t0, 5 * minute);
      const large = await store.acquireSourceSlots('shop', 'run-b', 9, 5, t0, 5 * minute);

      // Assess
      expect(small).toEqual({ granted: 3, holders: [{ holder: 'run-a', slots: 3, expiresAt: '2025-11-05T12:05:00.000Z' }] });
      expect(large).toEqual({ granted: 5, holders: [{ holder: 'run-b', slots: 5, expiresAt: '2025-11-05T12:05:00.000Z' }] });
    });

    it('grants only what other holders left free, and nothing when they hold it all', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireSourceSlots('clr', 'run-a', 3, 5, t0, 5 * minute);

      // Act
      const partly = await store.acquireSourceSlots('clr', 'run-b', 3, 5, at(minute), 5 * minute);
      const denied = await store.acquireSourceSlots('clr', 'run-c', 1, 5, at(minute), 5 * minute);

      // Assess
      expect(partly.granted).toBe(2);
      expect(denied).toEqual({
        granted: 0,
        holders: [
          { holder: 'run-a', slots: 3, expiresAt: '2025-11-05T12:05:00.000Z' },
          { holder: 'run-b', slots: 2, expiresAt: '2025-11-05T12:06:00.000Z' },
        ],
      });
    });

    it('renews a holder asking again instead of adding to its share, which may grow into free slots or shrink', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireSourceSlots('clr', 'run-a', 2, 5, t0, 5 * minute);

      // Act
      const again = await store.acquireSourceSlots('clr', 'run-a', 2, 5, at(minute), 5 * minute);
      const grown = await store.acquireSourceSlots('clr', 'run-a', 4, 5, at(2 * minute), 5 * minute);
      const shrunk = await store.acquireSourceSlots('clr', 'run-a', 1, 5, at(3 * minute), 5 * minute);
      const other = await store.acquireSourceSlots('clr', 'run-b', 5, 5, at(3 * minute), 5 * minute);

      // Assess
      expect(again).toEqual({ granted: 2, holders: [{ holder: 'run-a', slots: 2, expiresAt: '2025-11-05T12:06:00.000Z' }] });
      expect(grown.granted).toBe(4);
      expect(shrunk).toEqual({ granted: 1, holders: [{ holder: 'run-a', slots: 1, expiresAt: '2025-11-05T12:08:00.000Z' }] });
      expect(other.granted).toBe(4);
    });

    it('counts the slots of a holder whose expiry has passed as free', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireSourceSlots('clr', 'run-a', 5, 5, t0, minute);

      // Act
      const before = await store.acquireSourceSlots('clr', 'run-b', 2, 5, at(minute - 1), minute);
      const after = await store.acquireSourceSlots('clr', 'run-b', 5, 5, at(minute), minute);

      // Assess: run-a's expiry is past at exactly t0 + 1 min, and it is no longer listed
      expect(before.granted).toBe(0);
      expect(after).toEqual({ granted: 5, holders: [{ holder: 'run-b', slots: 5, expiresAt: '2025-11-05T12:02:00.000Z' }] });
    });

    it('frees a holder’s slots when it releases them, and releasing again or holding nothing is fine', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireSourceSlots('clr', 'run-a', 4, 5, t0, 5 * minute);
      await store.acquireSourceSlots('clr', 'run-b', 1, 5, t0, 5 * minute);

      // Act
      await store.releaseSourceSlots('clr', 'run-a');
      await store.releaseSourceSlots('clr', 'run-a');
      await store.releaseSourceSlots('clr', 'nobody');
      await store.releaseSourceSlots('never-used', 'run-a');
      const next = await store.acquireSourceSlots('clr', 'run-c', 5, 5, at(minute), 5 * minute);

      // Assess
      expect(next.granted).toBe(4);
      expect(next.holders.map((held) => held.holder)).toEqual(['run-b', 'run-c']);
    });

    it('keeps the slots of different sources apart', async () => {
      // Prepare
      const store = await freshStore();
      await store.acquireSourceSlots('clr', 'run-a', 5, 5, t0, 5 * minute);

      // Act
      const other = await store.acquireSourceSlots('shop', 'run-b', 5, 5, t0, 5 * minute);

      // Assess
      expect(other.granted).toBe(5);
    });

    it(`never grants more than the limit to ${CONTENDERS} holders asking at once`, async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const grants = await Promise.all(
        Array.from({ length: CONTENDERS }, (_, index) => store.acquireSourceSlots('clr', `run-${index}`, 2, 5, t0, 5 * minute)),
      );

      // Assess: 5 slots in all, whoever came first; the last answer lists them
      const total = grants.reduce((sum, grant) => sum + grant.granted, 0);
      expect(total).toBe(5);
      const held = await store.acquireSourceSlots('clr', 'observer', 0, 5, t0, 5 * minute);
      expect(held.holders.reduce((sum, holder) => sum + holder.slots, 0)).toBe(5);
      expect(held.holders.map((holder) => holder.holder).sort()).toEqual(grants.flatMap((grant, index) => (grant.granted > 0 ? [`run-${index}`] : [])).sort());
    });

    it('refuses a request no store can answer, naming what is wrong, without retrying', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const negative = store.acquireSourceSlots('clr', 'run-a', -1, 5, t0, minute);
      const fraction = store.acquireSourceSlots('clr', 'run-a', 1, 2.5, t0, minute);
      const noTtl = store.acquireSourceSlots('clr', 'run-a', 1, 5, t0, 0);
      const slash = store.acquireSourceSlots('clr/users', 'run-a', 1, 5, t0, minute);

      // Assess
      await expect(negative).rejects.toMatchObject({ name: 'StateError', retryable: false, message: 'source slots of "clr" for "run-a": want must be a whole number of slots, 0 or more, got -1' });
      await expect(fraction).rejects.toMatchObject({ name: 'StateError', retryable: false, message: expect.stringContaining('limit must be a whole number of slots') });
      await expect(noTtl).rejects.toMatchObject({ name: 'StateError', retryable: false, message: expect.stringContaining('the ttl must be a positive number of milliseconds, got 0') });
      await expect(slash).rejects.toMatchObject({ name: 'StateError', retryable: false, message: expect.stringContaining("holds no '/'") });
    });
  });
}
