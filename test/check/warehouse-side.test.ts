import { CheckError } from '../../check/check-error.js';
import { checkSideFor, stagingColumnsOf, warehouseCheckSide } from '../../check/warehouse-side.js';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { createStagingTableSql } from '../../warehouse/table-sql.js';
import { describeTable } from '../../warehouse/table-description.js';

const ARROW_TYPES = ['int8', 'int64', 'uint64', 'decimal128(12, 2)', 'double', 'float', 'bool', 'string', 'binary', 'date32[day]', 'timestamp[us]', 'timestamp[us, tz=UTC]', 'time64[us]'];

describe("floe check: each warehouse's side", () => {
  it.each([duckDbDialect, snowflakeDialect])('is built for $label (config validation accepts checks on every warehouse)', (dialect) => {
    // Act
    const built = (() => {
      try {
        checkSideFor(dialect);
        return true;
      } catch (error) {
        if (!(error instanceof CheckError)) throw error;
        return false;
      }
    })();

    // Assess
    expect(built).toBe(true);
  });

  it('compares each Snowflake staging type, a NUMBER of scale 0 as an integer and an ARRAY by its Arrow element type', () => {
    // Prepare
    const side = checkSideFor(snowflakeDialect);
    const description = describeTable({
      runId: 'r1', database: 'shop', table: 'kinds', mode: 'full', primaryKey: ['c0'], incrementalColumn: null,
      columns: [...ARROW_TYPES, 'list<item: list<item: decimal128(10, 2)>>'].map((arrowType, index) => ({ name: `c${index}`, arrowType, sourceType: 'x', nullable: true })),
      files: [], totalRows: 0, startedAt: '2025-11-05T12:00:00Z',
    });

    // Act
    const kinds = description.columns.map((column) => side.valueKindOf(snowflakeDialect.columnType(column, 'staging'), column.arrowType));
    const elements = description.columns.map((column) => side.elementType(snowflakeDialect.columnType(column, 'staging'), column.arrowType));

    // Assess
    expect(kinds).toEqual(['integer', 'integer', 'integer', 'decimal', 'float', 'float', 'boolean', 'text', 'binary', 'date', 'timestamp', 'timestamptz', 'time', 'decimal[][]']);
    expect(elements).toEqual([...ARROW_TYPES.map(() => null), 'NUMBER(10,2)']);
    expect(side.decimalScale('NUMBER(12,2)')).toBe(2);
    // An ARRAY says nothing of its elements: without the Arrow type, it cannot be compared.
    expect(side.valueKindOf('ARRAY')).toBeNull();
    expect(side.valueKindOf('VARIANT', 'string')).toBeNull();
  });

  it('compares a DuckDB staging column the same whether its type is read from the catalog or as floe declares it', async () => {
    // Prepare
    const warehouse = await DuckDbWarehouse.open(':memory:');
    const description = describeTable({
      runId: 'r1', database: 'shop', table: 'kinds', mode: 'full', primaryKey: ['c0'], incrementalColumn: null,
      columns: ARROW_TYPES.map((arrowType, index) => ({ name: `c${index}`, arrowType, sourceType: 'x', nullable: true })),
      files: [], totalRows: 0, startedAt: '2025-11-05T12:00:00Z',
    });
    await warehouse.query(createStagingTableSql(duckDbDialect, description));
    const side = warehouseCheckSide(warehouse);

    // Act
    const stored = (await stagingColumnsOf(warehouse, side, description.stagingTable)).filter((column) => column.name.startsWith('c'));

    // Assess
    const declared = description.columns.map((column) => side.valueKindOf(duckDbDialect.columnType(column, 'staging')));
    expect(stored.map((column) => side.valueKindOf(column.type))).toEqual(declared);
    expect(declared).toEqual(['integer', 'integer', 'integer', 'decimal', 'float', 'float', 'boolean', 'text', 'binary', 'date', 'timestamp', 'timestamptz', 'time']);
    expect(side.decimalScale(stored[3]?.type ?? '')).toBe(2);
    await warehouse.close();
  });
});
