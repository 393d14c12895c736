import { readFileSync } from 'node:fs';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';

const manifest = JSON.parse(
  readFileSync(new URL('../fixtures/warehouse/manifest-order-items.json', import.meta.url), 'utf8'),
) as ManifestLike;

const withColumn = (arrowType: string): ManifestLike => ({
  ...structuredClone(manifest),
  columns: [...manifest.columns, { name: 'extra', arrowType, sourceType: 'x', nullable: true }],
});

describe('Warehouse: describeTable', () => {
  it('builds the description from a manifest with the naming rule applied', () => {
    // Prepare, Act
    const description = describeTable(manifest);

    // Assess
    expect(description.rawTable).toEqual({ schema: 'raw', name: 'shop__sales__order items' });
    expect(description.stagingTable).toEqual({ schema: 'staging', name: 'shop__sales__order items' });
    expect(description.primaryKey).toEqual(['order id', 'line']);
    expect(description.columns.map((column) => column.warehouseType)).toEqual(['BIGINT', 'INTEGER', 'VARCHAR', 'DECIMAL(12,2)', 'TIMESTAMPTZ']);
  });

  it.each([
    ['int64', 'BIGINT'],
    ['int32', 'INTEGER'],
    ['uint64', 'UBIGINT'],
    ['decimal128(12, 2)', 'DECIMAL(12,2)'],
    ['decimal256(38, 0)', 'DECIMAL(38,0)'],
    ['double', 'DOUBLE'],
    ['float', 'FLOAT'],
    ['bool', 'BOOLEAN'],
    ['string', 'VARCHAR'],
    ['binary', 'BLOB'],
    ['date32[day]', 'DATE'],
    ['timestamp[us]', 'TIMESTAMP'],
    ['timestamp[us, tz=UTC]', 'TIMESTAMPTZ'],
    ['time64[us]', 'TIME'],
  ])('maps Arrow %s to DuckDB %s', (arrowType, duckDbType) => {
    // Prepare, Act
    const column = describeTable(withColumn(arrowType)).columns.at(-1);

    // Assess
    expect(column?.warehouseType).toBe(duckDbType);
    expect(column?.conversion).toBeNull();
  });

  it('stores decimals wider than 38 digits as VARCHAR and records why', () => {
    // Prepare, Act
    const column = describeTable(withColumn('decimal256(50, 10)')).columns.at(-1);

    // Assess
    expect(column?.warehouseType).toBe('VARCHAR');
    expect(column?.conversion).toContain('decimal256(50, 10)');
  });

  it('throws a WarehouseError naming the table and column for an unknown Arrow type', () => {
    // Prepare
    const bad = withColumn('dictionary<values=string, indices=int8>');

    // Act
    const act = (): unknown => describeTable(bad);

    // Assess
    expect(act).toThrow(WarehouseError);
    expect(act).toThrow(/Column extra of table sales.order items .*dictionary/);
  });

  it('throws when the manifest has no primary key', () => {
    // Prepare
    const bad = { ...structuredClone(manifest), primaryKey: [] };

    // Act, Assess
    expect(() => describeTable(bad)).toThrow('has no primary key');
  });
});
