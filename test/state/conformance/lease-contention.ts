import type { StoreFactory } from './store-factory.js';

const CONTENDERS = 20;

/** Concurrent callers in one process: conditional writes, not luck, decide who wins. */
export function describeLeaseContention(name: string, freshStore: StoreFactory): void {
  describe(`State: concurrent writers (${name})`, () => {
    it(`gives the lease to exactly one of ${CONTENDERS} runs asking at once, and the others name it`, async () => {
      // Prepare
      const store = await freshStore();
      const now = new Date('2025-11-05T12:00:00.000Z');

      // Act
      const answers = await Promise.all(
        Array.from({ length: CONTENDERS }, (_, index) => store.acquireLease('clr', 'users', `run-${index}`, now, 60_000)),
      );

      // Assess
      const holder = (await store.getTableState('clr', 'users')).activeRun?.runId;
      expect(answers.filter((answer) => answer.acquired)).toHaveLength(1);
      expect(answers.filter((answer) => !answer.acquired)).toEqual(
        Array.from({ length: CONTENDERS - 1 }, () => expect.objectContaining({ acquired: false, heldBy: holder })),
      );
      expect(answers[Number(holder?.slice('run-'.length))]).toMatchObject({ acquired: true });
    });

    it('keeps every step when different steps of a run are recorded at once', async () => {
      // Prepare
      const store = await freshStore();
      await store.startRun({ runId: 'run-1', source: 'clr', table: 'users', mode: 'full', requestedAt: '2025-11-05T12:00:00.000Z' });
      const names = ['start-ingest', 'extract', 'load-and-merge', 'build-gold'] as const;

      // Act
      await Promise.all(names.map((step) => store.recordStep('run-1', { name: step, startedAt: '2025-11-05T12:00:01.000Z' })));

      // Assess
      const steps = (await store.getRun('run-1'))?.steps ?? [];
      expect(steps.map((step) => step.name).sort()).toEqual([...names].sort());
    });
  });
}
