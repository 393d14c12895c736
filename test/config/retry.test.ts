import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { DEFAULT_RETRY, retryPolicy } from '../../config/retry.js';
import { toTableConfigs } from '../../config/table-config.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

/** Load `content` and return the ConfigError it must raise. */
async function configError(content: unknown): Promise<{ error: ConfigError; file: string }> {
  const file = await writeConfig(content);
  try {
    await loadConfig(file, { env: ENV });
  } catch (error) {
    if (error instanceof ConfigError) return { error, file };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Config: retry', () => {
  it('gives each table its source retry settings, overridden key by key by its own', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].retry = { attempts: 4, backoffSeconds: 2, maxBackoffSeconds: 30 };
    data['sources'][0].tables[1].retry = { attempts: 6, backoffSeconds: 0.5 };

    // Act
    const items = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));

    // Assess
    expect(items.map((item) => [item.table, item.retry])).toEqual([
      ['clr.availed_coupon_snapshots', { attempts: 4, backoffSeconds: 2, maxBackoffSeconds: 30 }],
      ['coupons', { attempts: 6, backoffSeconds: 0.5, maxBackoffSeconds: 30 }],
      ['orders', undefined],
    ]);
    expect(items[2]).not.toHaveProperty('retry');
  });

  it('fills what no level sets from the defaults: three attempts, 5 s doubling, a 60 s cap', () => {
    // Act
    const policies = [retryPolicy(undefined), retryPolicy({ attempts: 1 })];

    // Assess
    expect(DEFAULT_RETRY).toEqual({ attempts: 3, backoffSeconds: 5, maxBackoffSeconds: 60 });
    expect(policies).toEqual([DEFAULT_RETRY, { ...DEFAULT_RETRY, attempts: 1 }]);
  });

  it('names the source, the table and the key of a value out of range', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].retry = { backoffSeconds: -1 };
    data['sources'][1].tables[0].retry = { attempts: 0 };

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(
      `${file}: 2 problems\n` +
        '  - sources[0].retry.backoffSeconds: source clr: expected seconds from 0 to 900, got -1\n' +
        '  - sources[1].tables[0].retry.attempts: table shop/orders: expected a whole number from 1 (no retry) to 10, got 0',
    );
  });

  it('refuses a cap below the first wait, even when the two come from different levels', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].retry = { maxBackoffSeconds: 10 };
    data['sources'][0].tables[1].retry = { backoffSeconds: 30 };
    data['sources'][1].retry = { backoffSeconds: 120 };

    // Act
    const { error } = await configError(data);

    // Assess
    expect(error.problems).toEqual([
      'sources[0].tables[1].retry.backoffSeconds: table clr/coupons: maxBackoffSeconds 10 (from the source) is below backoffSeconds 30; the cap must be at least the first wait',
      'sources[1].retry.backoffSeconds: source shop: maxBackoffSeconds 60 (the default) is below backoffSeconds 120; the cap must be at least the first wait',
    ]);
  });

  it('suggests the known key for a misspelt one, and says what a wrong type should be', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].retry = { attempt: 5 };
    data['sources'][0].tables[0].retry = { maxBackoffSeconds: 'a minute' };

    // Act
    const { error } = await configError(data);

    // Assess
    expect(error.problems).toEqual([
      "sources[0].retry: unknown key 'attempt' (did you mean attempts?)",
      'sources[0].tables[0].retry.maxBackoffSeconds: expected a number, got a string',
    ]);
  });
});
