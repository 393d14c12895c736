import { InvocationDeadline } from '../../runtime/aws/warehouse-from-env.js';

describe('InvocationDeadline: the warehouse kept by a container sees each invocation\'s own time left', () => {
  it('is the invocation\'s end while it runs, and none between invocations', async () => {
    // Prepare
    const deadline = new InvocationDeadline();
    const seen: (number | undefined)[] = [];
    // Act
    const before = Date.now();
    await deadline.during({ getRemainingTimeInMillis: () => 60_000 }, async () => { seen.push(deadline.get()); });
    await deadline.during({ getRemainingTimeInMillis: () => 1_000 }, async () => { seen.push(deadline.get()); });
    await deadline.during(undefined, async () => { seen.push(deadline.get()); });
    // Assess
    expect(seen[0]).toBeGreaterThanOrEqual(before + 60_000);
    expect(seen[0]).toBeLessThan(Date.now() + 60_000 + 1);
    expect(seen[1]).toBeLessThan(seen[0]! - 50_000);
    expect(seen[2]).toBeUndefined();
    expect(deadline.get()).toBeUndefined();
  });

  it('is cleared when the invocation fails', async () => {
    const deadline = new InvocationDeadline();
    await expect(deadline.during({ getRemainingTimeInMillis: () => 5_000 }, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(deadline.get()).toBeUndefined();
  });
});
