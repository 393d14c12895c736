import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { TableConfigSchema, toTableConfigs } from '../../config/table-config.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

describe('Config: deletes', () => {
  it('passes detect and detect-hard to the table config items, and nothing when unset', async () => {
    // Prepare
    const data = await validConfigData();
    const tables = data['sources'][0].tables as Record<string, unknown>[];
    const incremental = tables.findIndex((table) => table['incrementalColumn'] !== undefined);
    tables[incremental]!['deletes'] = 'detect-hard';

    // Act
    const items = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));

    // Assess
    expect(items.map((item) => item.deletes)).toEqual(tables.map((_, index) => (index === incremental ? 'detect-hard' : undefined)));
    expect(TableConfigSchema.parse(items[incremental]).deletes).toBe('detect-hard');
  });

  it('refuses deletes on a full-mode table and an unknown value, naming the key path', async () => {
    // Prepare
    const data = await validConfigData();
    const tables = data['sources'][0].tables as Record<string, unknown>[];
    const full = tables.findIndex((table) => table['incrementalColumn'] === undefined);
    const incremental = tables.findIndex((table) => table['incrementalColumn'] !== undefined);
    tables[full]!['deletes'] = 'detect';
    tables[incremental]!['deletes'] = 'soft';

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(`sources[0].tables[${full}].deletes`);
    expect(message).toContain('a full-mode run replaces staging');
    expect(message).toContain(`sources[0].tables[${incremental}].deletes`);
  });
});
