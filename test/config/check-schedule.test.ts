import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { TableConfigSchema, toTableConfigs } from '../../config/table-config.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

describe('Config: check', () => {
  it('passes check: after-merge to the table config item, and nothing when unset', async () => {
    // Prepare
    const data = await validConfigData();
    const tables = data['sources'][0].tables as Record<string, unknown>[];
    tables[0]!['check'] = 'after-merge';

    // Act
    const items = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));

    // Assess
    expect(items.map((item) => item.check)).toEqual(tables.map((_, index) => (index === 0 ? 'after-merge' : undefined)));
    expect(TableConfigSchema.parse(items[0]).check).toBe('after-merge');
  });

  it('refuses an unknown schedule, naming the key path', async () => {
    // Prepare
    const data = await validConfigData();
    (data['sources'][0].tables as Record<string, unknown>[])[0]!['check'] = 'hourly';

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('sources[0].tables[0].check');
  });
});
