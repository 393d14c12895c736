import { lazyWarehouse } from '../../runtime/aws/warehouse-from-env.js';
import type { Warehouse } from '../../warehouse/warehouse.js';

/** A warehouse whose query fails as told; counts opens and closes. */
function countingOpener(failures: (Error & { retryable?: boolean })[]) {
  const counts = { opened: 0, closed: 0 };
  const open = async (): Promise<Warehouse> => {
    counts.opened += 1;
    const refuse = async (): Promise<never> => {
      throw new Error('not used in this test');
    };
    return {
      evolveSchema: refuse, loadRaw: refuse, mergeStaging: refuse, replaceStaging: refuse, appendStaging: refuse, buildGold: refuse,
      prepareDeleteDetection: refuse, applyDetectedDeletes: refuse,
      query: async () => {
        const failure = failures.shift();
        if (failure) throw failure;
        return [{ ok: 1 }];
      },
      close: async () => void (counts.closed += 1),
    };
  };
  return { open, counts };
}

describe('Lambda: the lazily opened warehouse', () => {
  it('opens once for many calls, and reopens after a retryable failure but not after a terminal one', async () => {
    // Prepare
    const sessionExpired = Object.assign(new Error('session expired'), { retryable: true });
    const badSql = Object.assign(new Error('syntax error'), { retryable: false });
    const { open, counts } = countingOpener([badSql, sessionExpired]);
    const warehouse = lazyWarehouse(open);

    // Act
    await expect(warehouse.query('select 1')).rejects.toThrow('syntax error');
    const openedAfterTerminal = counts.opened;
    await expect(warehouse.query('select 1')).rejects.toThrow('session expired');
    const after = await warehouse.query('select 1');
    await warehouse.query('select 1');

    // Assess
    expect(openedAfterTerminal).toBe(1);
    expect(after).toEqual([{ ok: 1 }]);
    expect(counts).toEqual({ opened: 2, closed: 1 });
  });

  it('tries to open again on the next call when opening failed, and closes quietly when never opened', async () => {
    // Prepare
    let attempts = 0;
    const warehouse = lazyWarehouse(async () => {
      attempts += 1;
      throw Object.assign(new Error('Snowflake unreachable'), { retryable: true });
    });

    // Act
    await expect(warehouse.query('select 1')).rejects.toThrow('Snowflake unreachable');
    await expect(warehouse.query('select 1')).rejects.toThrow('Snowflake unreachable');
    await warehouse.close();

    // Assess
    expect(attempts).toBe(2);
  });
});
