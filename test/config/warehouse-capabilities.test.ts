import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

const SNOWFLAKE = 'snowflake://myorg-myaccount/ANALYTICS?user=FLOE&warehouse=FLOE_WH&role=FLOE';

/** The valid fixture on a Snowflake warehouse, its first table given `settings`. */
async function onSnowflake(settings: Record<string, unknown>): Promise<string> {
  const data = await validConfigData();
  data['warehouse'] = SNOWFLAKE;
  Object.assign((data['sources'][0].tables as Record<string, unknown>[])[0]!, settings);
  return writeConfig(data);
}

describe('Config: checks and delete detection on either warehouse', () => {
  it('accepts a Snowflake warehouse for tables that ask for neither checks nor delete detection', async () => {
    // Prepare
    const file = await onSnowflake({});

    // Act
    const config = await loadConfig(file, { env: ENV });

    // Assess
    expect(config.warehouse).toBe(SNOWFLAKE);
  });

  it('accepts checks and delete detection on a Snowflake warehouse with a local state store', async () => {
    // Prepare
    const file = await onSnowflake({ check: 'after-merge', deletes: 'detect' });

    // Act
    const config = await loadConfig(file, { env: ENV });

    // Assess
    expect(config.sources[0]?.tables[0]).toMatchObject({ check: 'after-merge', deletes: 'detect' });
  });

  it('accepts both on a DuckDB warehouse', async () => {
    // Prepare
    const data = await validConfigData();
    Object.assign((data['sources'][0].tables as Record<string, unknown>[])[0]!, { check: 'after-merge', deletes: 'detect' });

    // Act
    const config = await loadConfig(await writeConfig(data), { env: ENV });

    // Assess
    expect(config.sources[0]?.tables[0]).toMatchObject({ check: 'after-merge', deletes: 'detect' });
  });
});

describe('Config: what floe cannot do on AWS yet is refused up front, for a DynamoDB state store', () => {
  it.each([
    ['check', { check: 'after-merge' }, 'check: after-merge compares staging with the source after each merge'],
    ['deletes', { deletes: 'detect' }, "deletes compares the source's primary keys with staging's after each merge"],
  ])('refuses %s with state: dynamodb://Floe, saying why and what to do', async (key, settings, what) => {
    // Prepare
    const data = await validConfigData();
    data['state'] = 'dynamodb://Floe';
    Object.assign((data['sources'][0].tables as Record<string, unknown>[])[0]!, settings);

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `sources[0].tables[0].${key}: table clr/clr.availed_coupon_snapshots: ${what}, which floe cannot do on AWS yet (state: dynamodb://Floe): ` +
        "on AWS the comparison would run in the check-after-merge Lambda, which is outside the sources' VPC and holds none of their " +
        'secrets; it is not built there yet, so every check would fail after every merge. ' +
        `Remove ${key} from this table, or run floe check (or floe run) from a machine that reaches the source and the warehouse`,
    ]);
  });

  it('refuses check on AWS with a Snowflake warehouse too: the reason is the runtime, not the warehouse', async () => {
    // Prepare
    const data = await validConfigData();
    data['state'] = 'dynamodb';
    data['warehouse'] = SNOWFLAKE;
    Object.assign((data['sources'][0].tables as Record<string, unknown>[])[0]!, { check: 'after-merge' });

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^sources\[0\]\.tables\[0\]\.check: .*, which floe cannot do on AWS yet \(state: dynamodb\): on AWS the comparison would run in the check-after-merge Lambda/)]);
  });

  it('accepts the same table on AWS without check or deletes, and with them on a local state store', async () => {
    // Prepare
    const onAws = await validConfigData();
    onAws['state'] = 'dynamodb';
    const local = await validConfigData();
    Object.assign((local['sources'][0].tables as Record<string, unknown>[])[0]!, { check: 'after-merge', deletes: 'detect' });

    // Act & Assess
    await expect(loadConfig(await writeConfig(onAws), { env: ENV })).resolves.toMatchObject({ state: 'dynamodb' });
    await expect(loadConfig(await writeConfig(local), { env: ENV })).resolves.toBeDefined();
  });
});
