import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { describeTable, type TableDescription } from '../../warehouse/table-description.js';
import { addDeletedAtColumnSql, applyDetectedDeletesSql, createStagingTableSql, mergeStagingSql } from '../../warehouse/table-sql.js';

const TIMESTAMP_TZ = 'timestamp[us, tz=UTC]';
const description: TableDescription = {
  ...describeTable({
    runId: 'r1', database: 'shop', table: 'orders', mode: 'incremental', primaryKey: ['id', 'placed_at'], incrementalColumn: 'updated_at',
    columns: [
      { name: 'id', arrowType: 'int64', sourceType: 'bigint', nullable: false },
      { name: 'placed_at', arrowType: TIMESTAMP_TZ, sourceType: 'timestamptz', nullable: false },
      { name: 'updated_at', arrowType: TIMESTAMP_TZ, sourceType: 'timestamptz', nullable: false },
    ],
    files: [], totalRows: 0, startedAt: '2025-11-05T12:00:00Z',
  }),
  softDelete: true,
};
const KEYS = [['1', '2025-01-01 00:00:00.000000+00:00'], ['2', '2025-01-02 00:00:00.000000+00:00']];
const NOTICED = '2025-11-06T08:30:00Z';

describe('Warehouse SQL: delete detection', () => {
  it('marks live rows of the given composite keys, each value bound and cast to its staging type', () => {
    // Act
    const duckdb = applyDetectedDeletesSql(duckDbDialect, description, KEYS, 'mark', NOTICED);
    const snowflake = applyDetectedDeletesSql(snowflakeDialect, description, KEYS, 'mark', NOTICED);

    // Assess
    expect(duckdb.sql).toBe([
      'update "staging"."shop__orders" set "_floe_deleted_at" = cast($1 as TIMESTAMPTZ)',
      'where "_floe_deleted_at" is null and (("id" = cast($2 as BIGINT) and "placed_at" = cast($3 as TIMESTAMPTZ))',
      '   or ("id" = cast($4 as BIGINT) and "placed_at" = cast($5 as TIMESTAMPTZ)))',
    ].join('\n'));
    expect(snowflake.sql).toBe([
      'update "STAGING"."SHOP__ORDERS" set "_FLOE_DELETED_AT" = cast($1 as TIMESTAMP_TZ(9))',
      'where "_FLOE_DELETED_AT" is null and (("ID" = cast($2 as NUMBER(19,0)) and "PLACED_AT" = cast($3 as TIMESTAMP_TZ(6)))',
      '   or ("ID" = cast($4 as NUMBER(19,0)) and "PLACED_AT" = cast($5 as TIMESTAMP_TZ(6))))',
    ].join('\n'));
    expect(duckdb.params).toEqual([NOTICED, ...KEYS.flat()]);
    expect(snowflake.params).toEqual(duckdb.params);
  });

  it('removes rows of a one-column key with an in list', () => {
    // Act
    const removal = applyDetectedDeletesSql(duckDbDialect, { ...description, primaryKey: ['id'] }, [['1'], ['2']], 'remove', NOTICED);

    // Assess
    expect(removal).toEqual({ sql: 'delete from "staging"."shop__orders"\nwhere "id" in (cast($1 as BIGINT), cast($2 as BIGINT))', params: ['1', '2'] });
  });

  it('gives staging the soft-delete column, and has the MERGE clear it on every row it updates', () => {
    // Act
    const create = createStagingTableSql(duckDbDialect, description);
    const merge = mergeStagingSql(snowflakeDialect, description, 'r1').sql;
    const plainMerge = mergeStagingSql(snowflakeDialect, { ...description, softDelete: false }, 'r1').sql;

    // Assess
    expect(create).toContain('"_floe_extracted_at" TIMESTAMPTZ not null,\n  "_floe_deleted_at" TIMESTAMPTZ\n)');
    expect(addDeletedAtColumnSql(snowflakeDialect, description)).toBe('alter table "STAGING"."SHOP__ORDERS" add column "_FLOE_DELETED_AT" TIMESTAMP_TZ(9)');
    expect(merge).toContain('  "_FLOE_EXTRACTED_AT" = incoming."_FLOE_EXTRACTED_AT",\n  "_FLOE_DELETED_AT" = null\nwhen not matched');
    expect(plainMerge).not.toContain('_FLOE_DELETED_AT');
  });
});
