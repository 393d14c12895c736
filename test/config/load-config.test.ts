import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { ENV, fixturePath, validConfigData, writeConfig } from './helpers.js';

describe('Config: loadConfig', () => {
  it('parses the valid fixture, filling defaults and substituting environment variables', async () => {
    // Prepare
    const file = fixturePath('floe.config.yaml');

    // Act
    const config = await loadConfig(file, { env: ENV });

    // Assess
    const [clr, shop] = config.sources;
    expect(clr?.connection).toBe(ENV.CLR_URL);
    expect(clr?.tables).toEqual([
      {
        name: 'clr.availed_coupon_snapshots',
        primaryKey: ['id'],
        incrementalColumn: 'updated_at',
        partitionColumn: 'id',
        partitions: 2,
        lookbackSeconds: 0,
        mode: 'incremental',
      },
      { name: 'coupons', primaryKey: ['id'], partitions: 1, lookbackSeconds: 0, mode: 'full' },
    ]);
    expect(shop?.connection).toBe('mysql://root@127.0.0.1:3306/shop');
    expect(shop?.tables[0]).toMatchObject({ mode: 'incremental', partitions: 1, lookbackSeconds: 60, primaryKey: ['order_id', 'line_no'] });
  });

  it('resolves relative paths against the config file folder, not the working directory', async () => {
    // Prepare
    const file = fixturePath('floe.config.yaml');
    const folder = dirname(file);

    // Act
    const config = await loadConfig(file, { env: ENV });

    // Assess
    expect(config.raw).toBe(join(folder, '.floe/raw'));
    expect(config.state).toBe(join(folder, '.floe/state'));
    expect(config.gold).toBe(join(folder, 'sql/gold'));
    expect(config.warehouse).toBe(`duckdb://${join(folder, '.floe/warehouse.duckdb')}`);
  });

  it('uses the local defaults for raw, state, warehouse and gold when they are left out', async () => {
    // Prepare
    const file = fixturePath('minimal.floe.config.yaml');
    const folder = dirname(file);

    // Act
    const config = await loadConfig(file, { env: {} });

    // Assess
    expect(config).toMatchObject({
      raw: join(folder, '.floe/raw'),
      state: join(folder, '.floe/state'),
      warehouse: `duckdb://${join(folder, '.floe/warehouse.duckdb')}`,
      gold: join(folder, 'sql/gold'),
    });
  });

  it('keeps s3 and dynamodb locations as written', async () => {
    // Prepare
    const data = await validConfigData();
    Object.assign(data, { raw: 's3://floe-raw/prefix', state: 'dynamodb' });
    const file = await writeConfig(data);

    // Act
    const config = await loadConfig(file, { env: ENV });

    // Assess
    expect(config.raw).toBe('s3://floe-raw/prefix');
    expect(config.state).toBe('dynamodb');
  });

  it('reads process.env when no env is given, and a ${NAME:-default} default applies when the variable is unset or empty', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].connection = '${FLOE_TEST_CLR_URL}';
    data['sources'][1].connection = '${FLOE_TEST_EMPTY:-mysql://root@localhost/shop}';
    const file = await writeConfig(data);
    process.env['FLOE_TEST_CLR_URL'] = ENV.CLR_URL;
    process.env['FLOE_TEST_EMPTY'] = '';

    // Act
    const config = await loadConfig(file).finally(() => {
      delete process.env['FLOE_TEST_CLR_URL'];
      delete process.env['FLOE_TEST_EMPTY'];
    });

    // Assess
    expect(config.sources.map((source) => source.connection)).toEqual([ENV.CLR_URL, 'mysql://root@localhost/shop']);
  });

  it('turns $$ into a literal dollar sign', async () => {
    // Prepare
    const data = await validConfigData();
    data['gold'] = './sql/$${not_a_variable}';
    const file = await writeConfig(data);

    // Act
    const config = await loadConfig(file, { env: ENV });

    // Assess
    expect(config.gold).toBe(join(dirname(file), 'sql/${not_a_variable}'));
  });
});

describe('loadConfig for commands that never connect', () => {
  it('does not need the connections\' environment variables', async () => {
    // Prepare
    const folder = mkdtempSync(join(tmpdir(), 'floe-config-'));
    const file = join(folder, 'floe.config.yaml');
    writeFileSync(file, ['sources:', '  - name: shop', '    engine: mysql', '    connection: ${UNSET_SHOP_URL}', '    tables:', '      - name: orders', '        primaryKey: [id]'].join('\n'));
    // Act
    const config = await loadConfig(file, { env: {}, ignoreConnections: true });
    // Assess
    expect(config.sources[0]?.connection).toBe('mysql://unused@localhost/unused');
    await expect(loadConfig(file, { env: {} })).rejects.toThrow('sources[0].connection: environment variable UNSET_SHOP_URL is not set');
  });
});
