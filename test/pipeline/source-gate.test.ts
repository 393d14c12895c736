import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SourceGate } from '../../runtime/local/source-gate.js';
import { LocalStateStore } from '../../state/index.js';

/** The gate over a real local state store, as `floe run` and `floe check` share it. */
async function gateOf(limit: number) {
  const state = new LocalStateStore(join(await mkdtemp(join(tmpdir(), 'floe-gate-')), 'state'));
  const queued: string[] = [];
  const gate = new SourceGate({ state, limits: new Map([['clr', limit]]), onQueued: (line) => queued.push(line) });
  return { gate, state, queued };
}

describe('Runtime: the source gate (maxConnections across job runs, checks and processes)', () => {
  it('queues a holder while the source is full and starts it when the holder before it lets go', async () => {
    // Prepare
    const { gate, queued } = await gateOf(2);
    const first = await gate.take('clr', 'job run a', { want: 2 });
    const order: string[] = [];

    // Act
    const second = gate.hold('clr', 'check of clr/users', { want: 1 }, async (granted) => void order.push(`check with ${granted}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    order.push('job run a ends');
    await first.release();
    await second;

    // Assess
    expect(first.granted).toBe(2);
    expect(order).toEqual(['job run a ends', 'check with 1']);
    expect(queued).toEqual(["check of clr/users queued: source clr's 2 connection(s) (maxConnections) are taken (job run a holds 2); it starts when enough are free"]);
  });

  it('gives a batch what is free, at least its least, and never more than the limit in all', async () => {
    // Prepare
    const { gate, state } = await gateOf(4);
    const check = await gate.take('clr', 'check', { want: 1 });

    // Act
    const batch = await gate.take('clr', 'batch', { want: 10, least: 1 });
    const held = await state.acquireSourceSlots('clr', 'observer', 0, 4, new Date(), 1000);

    // Assess
    expect(batch.granted).toBe(3);
    expect(held.holders.reduce((sum, holder) => sum + holder.slots, 0)).toBe(4);
    await Promise.all([check.release(), batch.release()]);
    expect((await state.acquireSourceSlots('clr', 'observer', 0, 4, new Date(), 1000)).holders).toEqual([]);
  });

  it('skips what may be skipped when the source is full, and gives back a share when its work fails', async () => {
    // Prepare
    const { gate, state } = await gateOf(1);
    const job = await gate.take('clr', 'job', { want: 1 });

    // Act
    const estimate = await gate.holdIfFree('clr', 'size estimate', async () => 'estimated');
    const notNow = await gate.tryTake('clr', 'another job', { want: 1 });
    await job.release();
    const now = await gate.tryTake('clr', 'another job', { want: 1 });
    await now?.release();
    const failed = gate.hold('clr', 'check', { want: 1 }, async () => {
      throw new Error('connection refused');
    });

    // Assess
    expect(estimate).toBeNull();
    expect(notNow).toBeNull();
    expect(now?.granted).toBe(1);
    await expect(failed).rejects.toThrow('connection refused');
    expect((await state.acquireSourceSlots('clr', 'observer', 0, 1, new Date(), 1000)).holders).toEqual([]);
    expect(() => gate.limitOf('shop')).toThrow('source shop is not in the config');
  });
});
