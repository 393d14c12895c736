import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { TableConfigSchema, toTableConfigs } from '../../config/table-config.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

describe('Config: extraction engine', () => {
  it('passes a table\'s engine and Spark settings to its table config item, and nothing when unset', async () => {
    // Prepare
    const data = await validConfigData();
    const tables = data['sources'][0].tables as Record<string, unknown>[];
    tables[0]!['engine'] = 'spark';
    tables[0]!['spark'] = { workers: 8 };

    // Act
    const items = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));

    // Assess: the first table says spark with its workers; the others say nothing (auto, the defaults)
    expect(items[0]).toMatchObject({ extractionEngine: 'spark', spark: { workers: 8, workerType: 'G.1X', autoAboveBytes: 20e9, maxWorkers: 20 } });
    expect(items.slice(1).map((item) => [item.extractionEngine, item.spark])).toEqual(items.slice(1).map(() => [undefined, undefined]));
    expect(TableConfigSchema.parse(items[0]).extractionEngine).toBe('spark');
  });

  it("takes auto's threshold and the workers from the config's spark section", async () => {
    // Prepare
    const data = await validConfigData();
    data['spark'] = { autoAboveGb: 100, workerType: 'G.2X', maxWorkers: 50 };

    // Act
    const [item] = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));

    // Assess
    expect(item?.spark).toEqual({ autoAboveBytes: 100e9, workerType: 'G.2X', maxWorkers: 50 });
  });

  it('lets a Spark table have more ranges than the Python job, and no other', async () => {
    // Prepare
    const data = await validConfigData();
    const tables = data['sources'][0].tables as Record<string, unknown>[];
    tables[0]!['engine'] = 'spark';
    tables[0]!['partitionColumn'] = 'id';
    tables[0]!['partitions'] = 2000;
    tables[1]!['engine'] = 'auto';
    tables[1]!['partitionColumn'] = 'id';
    tables[1]!['partitions'] = 65;

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('sources[0].tables[1].partitions');
    expect(message).toContain('65 partitions is more than 64');
    expect(message).not.toContain('tables[0]');
  });

  it('refuses an engine, a worker type or a worker count Glue does not have, naming the key path', async () => {
    // Prepare
    const data = await validConfigData();
    const tables = data['sources'][0].tables as Record<string, unknown>[];
    tables[0]!['engine'] = 'dask';
    tables[1]!['spark'] = { workerType: 'G.025X', workers: 1 };

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    const message = (error as ConfigError).message;
    expect(message).toContain('sources[0].tables[0].engine');
    expect(message).toContain('sources[0].tables[1].spark.workerType');
    expect(message).toContain('sources[0].tables[1].spark.workers');
  });
});
