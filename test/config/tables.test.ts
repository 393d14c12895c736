import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { toTableConfigs } from '../../config/table-config.js';
import { selectTables, tableKey } from '../../config/tables.js';
import { ENV, fixturePath } from './helpers.js';

const load = () => loadConfig(fixturePath('floe.config.yaml'), { env: ENV });

describe('Config: tables', () => {
  it('keys a table as source/table, schema included', () => {
    // Prepare
    const source = { name: 'clr' };

    // Act
    const keys = [tableKey('clr', 'availed_coupon_snapshots'), tableKey(source, { name: 'clr.users' })];

    // Assess
    expect(keys).toEqual(['clr/availed_coupon_snapshots', 'clr/clr.users']);
  });

  it('selects every table in config order when no filter is given', async () => {
    // Prepare
    const config = await load();

    // Act
    const selected = selectTables(config);

    // Assess
    expect(selected.map(({ source, table }) => tableKey(source, table))).toEqual([
      'clr/clr.availed_coupon_snapshots',
      'clr/coupons',
      'shop/orders',
    ]);
  });

  it('filters by source, and by table with or without its schema', async () => {
    // Prepare
    const config = await load();

    // Act
    const bySource = selectTables(config, { source: 'shop' });
    const byUnqualified = selectTables(config, { source: 'clr', table: 'availed_coupon_snapshots' });
    const byQualified = selectTables(config, { table: 'clr.availed_coupon_snapshots' });

    // Assess
    expect(bySource.map(({ table }) => table.name)).toEqual(['orders']);
    expect(byUnqualified.map(({ table }) => table.name)).toEqual(['clr.availed_coupon_snapshots']);
    expect(byQualified).toEqual(byUnqualified);
  });

  it('throws a ConfigError listing what exists when a filter matches nothing', async () => {
    // Prepare
    const config = await load();

    // Act
    const unknownSource = () => selectTables(config, { source: 'crm' });
    const unknownTable = () => selectTables(config, { source: 'shop', table: 'coupons' });

    // Assess
    expect(unknownSource).toThrow(new ConfigError("no source named 'crm'; configured sources: clr, shop"));
    expect(unknownTable).toThrow(new ConfigError("no table named 'coupons' in source 'shop'; configured tables: shop/orders"));
  });

  it('derives one table config item per table, without the connection', async () => {
    // Prepare
    const config = await load();

    // Act
    const items = toTableConfigs(config);

    // Assess
    expect(items).toEqual([
      {
        source: 'clr',
        table: 'clr.availed_coupon_snapshots',
        engine: 'postgres',
        primaryKey: ['id'],
        mode: 'incremental',
        incrementalColumn: 'updated_at',
        partitionColumn: 'id',
        partitions: 2,
        lookbackSeconds: 0,
        maxConnections: 4,
      },
      { source: 'clr', table: 'coupons', engine: 'postgres', primaryKey: ['id'], mode: 'full', partitions: 1, lookbackSeconds: 0, maxConnections: 4 },
      {
        source: 'shop',
        table: 'orders',
        engine: 'mysql',
        primaryKey: ['order_id', 'line_no'],
        mode: 'incremental',
        incrementalColumn: 'updated_at',
        partitions: 1,
        lookbackSeconds: 60,
        maxConnections: 4,
      },
    ]);
    expect(JSON.stringify(items)).not.toContain('s3cr3t');
  });
});
