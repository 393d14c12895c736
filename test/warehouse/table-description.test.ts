import { readFileSync } from 'node:fs';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { columnsRefusal } from '../../warehouse/sql-warehouse.js';
import { describeTable, stagingWriteOf, type ManifestLike } from '../../warehouse/table-description.js';

const manifest = JSON.parse(
  readFileSync(new URL('../fixtures/warehouse/manifest-order-items.json', import.meta.url), 'utf8'),
) as ManifestLike;

const withColumn = (arrowType: string, sourceType = 'x'): ManifestLike => ({
  ...structuredClone(manifest),
  columns: [...manifest.columns, { name: 'extra', arrowType, sourceType, nullable: true }],
});

describe('Warehouse: describeTable', () => {
  it('builds the description from a manifest with the naming rule applied', () => {
    // Prepare, Act
    const description = describeTable(manifest);

    // Assess
    expect(description.rawTable).toEqual({ schema: 'raw', name: 'shop__sales__order items' });
    expect(description.stagingTable).toEqual({ schema: 'staging', name: 'shop__sales__order items' });
    expect(description.primaryKey).toEqual(['order id', 'line']);
  });

  it('describes columns by their Arrow and source types only, leaving each warehouse to map them', () => {
    // Prepare, Act
    const description = describeTable(manifest);

    // Assess
    expect(description.columns[3]).toEqual({ name: 'amount', arrowType: 'decimal128(12, 2)', sourceType: 'numeric(12,2)', nullable: true });
    expect(description.columns.map((column) => duckDbDialect.columnType(column, 'staging'))).toEqual(['BIGINT', 'INTEGER', 'VARCHAR', 'DECIMAL(12,2)', 'TIMESTAMPTZ']);
    expect(description.columns.map((column) => snowflakeDialect.columnType(column, 'staging'))).toEqual([
      'NUMBER(19,0)', 'NUMBER(10,0)', 'VARCHAR(134217728)', 'NUMBER(12,2)', 'TIMESTAMP_TZ(6)',
    ]);
  });

  it('describes a column of a type no warehouse maps, which each warehouse then refuses by name', () => {
    // Prepare, Act
    const description = describeTable(withColumn('dictionary<values=string, indices=int8>'));

    // Assess
    expect(columnsRefusal(duckDbDialect, description)).toBe(
      'column extra has Arrow type dictionary<values=string, indices=int8>, which floe cannot map to a DuckDB type; add it to warehouse/duckdb-type.ts, or exclude the column',
    );
    expect(columnsRefusal(snowflakeDialect, description)).toContain('which floe cannot map to a Snowflake type; add it to warehouse/snowflake-type.ts');
  });

  it("refuses a decimal wider than 38 digits by each warehouse's own rule", () => {
    // Prepare, Act
    const description = describeTable(withColumn('decimal256(50, 10)', 'numeric(50,10)'));

    // Assess
    expect(columnsRefusal(duckDbDialect, description)).toBe(
      "column extra (decimal256(50, 10)) is wider than DuckDB's DECIMAL(38), and DuckDB's Parquet reader turns such decimals into inexact DOUBLEs. Extract the column as text, or exclude it",
    );
    expect(columnsRefusal(snowflakeDialect, description)).toBe(
      "column extra (decimal256(50, 10)) is wider than Snowflake's NUMBER(38) and would not load exactly. Extract the column as text, or exclude it",
    );
    expect(columnsRefusal(duckDbDialect, describeTable(manifest))).toBeNull();
  });

  it('describes a table without a primary key as replaced in full mode and appended otherwise', () => {
    // Prepare
    const keyless = { ...structuredClone(manifest), primaryKey: [] };

    // Act
    const writes = [stagingWriteOf(describeTable(keyless)), stagingWriteOf(describeTable({ ...keyless, mode: 'full' }))];

    // Assess
    expect(writes).toEqual(['append', 'replace']);
    expect([stagingWriteOf(describeTable(manifest)), stagingWriteOf(describeTable({ ...manifest, mode: 'full' }))]).toEqual(['merge', 'replace']);
  });

  it('throws naming the column when a key column is not extracted', () => {
    // Prepare
    const bad = { ...structuredClone(manifest), primaryKey: ['no_such_column'] };

    // Act, Assess
    expect(() => describeTable(bad)).toThrow('Primary key column no_such_column of table');
  });
});
