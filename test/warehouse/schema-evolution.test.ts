import { canonicalDuckDbType } from '../../warehouse/duckdb-type.js';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { ensureTableSql, evolveTableSql } from '../../warehouse/schema-ddl.js';
import { compareSchemas, SchemaChangeError, wideningRefusal, type KnownColumn } from '../../warehouse/schema-evolution.js';
import { snowflakeCanAlterType, snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { canonicalSnowflakeType } from '../../warehouse/snowflake-type.js';
import { describeTable } from '../../warehouse/table-description.js';
import { alterColumnTypeSql, mergeByDeleteAndInsertSql, mergeStagingSql } from '../../warehouse/table-sql.js';

const column = (name: string, sourceType: string, arrowType: string): KnownColumn => ({ name, sourceType, arrowType });

describe('Schema evolution: which type changes are widenings', () => {
  it.each([
    ['int16', 'int32'],
    ['int32', 'int64'],
    ['uint32', 'int64'],
    ['uint64', 'decimal128(20, 0)'],
    ['int32', 'decimal128(12, 2)'],
    ['decimal128(10, 2)', 'decimal128(14, 2)'],
    ['decimal128(10, 2)', 'decimal128(12, 4)'],
    ['float', 'double'],
    ['float32', 'float64'],
    ['string', 'large_string'],
    ['timestamp[ms]', 'timestamp[us]'],
    ['timestamp[us, tz=UTC]', 'timestamp[ns, tz=UTC]'],
    ['list<item: int32>', 'list<item: int64>'],
    ['list<item: list<item: decimal128(10, 2)>>', 'list<element: list<element: decimal128(12, 2)>>'],
  ])('accepts %s → %s', (from, to) => {
    expect(wideningRefusal(from, to)).toBeNull();
  });

  it.each([
    ['string', 'int64', 'floe does not convert string to int64'],
    ['int64', 'int32', 'narrows the digits before the point from 19 to 10'],
    ['int64', 'uint64', 'unsigned type cannot hold negative values'],
    ['uint64', 'int64', 'narrows the digits before the point from 20 to 19'],
    ['decimal128(14, 2)', 'decimal128(10, 2)', 'narrows the digits before the point from 12 to 8'],
    ['decimal128(12, 4)', 'decimal128(12, 2)', 'lowers the scale from 4 to 2'],
    ['decimal128(12, 4)', 'decimal128(12, 6)', 'narrows the digits before the point from 8 to 6'],
    ['decimal128(30, 2)', 'decimal256(40, 2)', 'more than 38 digits'],
    ['float64', 'float32', 'floe does not convert float64 to float32'],
    ['int64', 'float64', 'floe does not convert int64 to float64'],
    ['timestamp[us]', 'timestamp[us, tz=UTC]', 'gains or loses a time zone'],
    ['timestamp[us]', 'timestamp[ms]', 'fewer fraction digits'],
    ['list<item: int64>', 'list<item: int32>', 'its elements change: it narrows the digits before the point from 19 to 10'],
    ['list<item: int32>', 'list<item: list<item: int32>>', 'floe does not convert list<item: int32> to list<item: list<item: int32>>'],
    ['list<item: string>', 'string', 'floe does not convert list<item: string> to string'],
  ])('refuses %s → %s', (from, to, reason) => {
    expect(wideningRefusal(from, to)).toContain(reason);
  });
});

describe('Schema evolution: comparing a run with the last known schema', () => {
  it('reports added, widened, retyped and dropped columns, and a rename as a drop and an add', () => {
    // Prepare
    const known = [
      column('id', 'bigint', 'int64'),
      column('qty', 'integer', 'int32'),
      column('name', 'character varying(50)', 'string'),
      column('note', 'text', 'string'),
    ];
    const next = [
      column('id', 'bigint', 'int64'),
      column('qty', 'bigint', 'int64'),
      column('name', 'character varying(200)', 'string'),
      column('remark', 'text', 'string'),
    ];

    // Act
    const { changes, incompatible } = compareSchemas(known, next);

    // Assess
    expect(incompatible).toEqual([]);
    expect(changes).toEqual([
      { column: 'qty', change: 'widened', from: { sourceType: 'integer', arrowType: 'int32' }, to: { sourceType: 'bigint', arrowType: 'int64' } },
      { column: 'name', change: 'retyped', from: { sourceType: 'character varying(50)', arrowType: 'string' }, to: { sourceType: 'character varying(200)', arrowType: 'string' } },
      { column: 'remark', change: 'added', to: { sourceType: 'text', arrowType: 'string' } },
      { column: 'note', change: 'dropped', from: { sourceType: 'text', arrowType: 'string' } },
    ]);
  });

  it('lists a change that would lose data as incompatible, with both types and the reason', () => {
    // Act
    const { changes, incompatible } = compareSchemas([column('code', 'text', 'string')], [column('code', 'integer', 'int32')]);

    // Assess
    expect(changes).toEqual([]);
    expect(incompatible).toEqual([
      { column: 'code', from: { sourceType: 'text', arrowType: 'string' }, to: { sourceType: 'integer', arrowType: 'int32' }, reason: 'floe does not convert string to int32' },
    ]);
  });

  it('finds nothing when the columns are the same', () => {
    const columns = [column('id', 'bigint', 'int64')];
    expect(compareSchemas(columns, columns)).toEqual({ changes: [], incompatible: [] });
  });
});

describe('Schema evolution: what each warehouse alters in place', () => {
  it('lets DuckDB alter every widening', () => {
    expect(duckDbDialect.canAlterType('DECIMAL(10,2)', 'DECIMAL(12,4)')).toBe(true);
  });

  it.each([
    ['NUMBER(10,0)', 'NUMBER(19,0)', true],
    ['NUMBER(10,2)', 'NUMBER(14,2)', true],
    ['VARCHAR', 'VARCHAR', true],
    ['NUMBER(10,2)', 'NUMBER(12,4)', false],
    ['NUMBER(10,0)', 'NUMBER(12,2)', false],
    ['TIMESTAMP_NTZ(3)', 'TIMESTAMP_NTZ(6)', false],
  ])('Snowflake: %s → %s in place is %s', (from, to, expected) => {
    expect(snowflakeCanAlterType(from, to)).toBe(expected);
  });
});

describe('Schema evolution: the generated SQL', () => {
  const description = describeTable({
    runId: 'r1', database: 'shop', table: 'orders', mode: 'incremental', primaryKey: ['id'], incrementalColumn: 'updated_at',
    columns: [
      { name: 'id', arrowType: 'int64', sourceType: 'bigint', nullable: false },
      { name: 'qty "n"', arrowType: 'int64', sourceType: 'bigint', nullable: true },
      { name: 'updated_at', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamptz', nullable: false },
    ],
    files: [], totalRows: 0, startedAt: '2025-11-05T12:00:00+00:00',
  });
  const qty = description.columns[1]!;

  it('alters a column type with quoted names on both warehouses', () => {
    expect(alterColumnTypeSql(duckDbDialect, description.stagingTable, qty, 'staging')).toBe(
      'alter table "staging"."shop__orders" alter column "qty ""n""" set data type BIGINT',
    );
    expect(alterColumnTypeSql(snowflakeDialect, description.stagingTable, qty, 'staging')).toBe(
      'alter table "STAGING"."SHOP__ORDERS" alter column "QTY ""N""" set data type NUMBER(19,0)',
    );
  });

  it('sets the columns dropped at the source to NULL in the rows MERGE updates, and leaves them out of the rows DuckDB inserts in place of updating', () => {
    const { sql } = mergeStagingSql(snowflakeDialect, description, 'r1', true, ['OLD "NOTE"']);
    expect(sql).toContain('  "OLD ""NOTE""" = null\nwhen not matched then insert ("ID", "QTY ""N""", "UPDATED_AT", "_FLOE_RUN_ID", "_FLOE_EXTRACTED_AT")');
    const [, insert] = mergeByDeleteAndInsertSql(duckDbDialect, description, 'r1', true);
    expect(insert.sql).toMatch(/^insert into "staging"\."shop__orders" \("id", "qty ""n""", "updated_at", "_floe_run_id", "_floe_extracted_at"\)\n/);
  });
});

describe('Schema evolution: the DDL planned for an existing table', () => {
  const columns = (payload: { name: string; sourceType: string; arrowType: string }) =>
    describeTable({
      runId: 'r2', database: 'shop', table: 'orders', mode: 'full', primaryKey: ['id'], incrementalColumn: null,
      columns: [{ name: 'id', arrowType: 'int64', sourceType: 'bigint', nullable: false }, { ...payload, nullable: true }],
      files: [], totalRows: 0, startedAt: '2025-11-05T12:00:00+00:00',
    });
  const snowflakeColumns = (types: Record<string, string>) => ({ types: new Map(Object.entries(types)), key: (name: string) => name.toUpperCase(), canonical: canonicalSnowflakeType });

  it('alters a widened column once, and plans nothing for a table already altered', () => {
    // Prepare
    const description = columns({ name: 'qty', sourceType: 'bigint', arrowType: 'int64' });
    const { changes } = compareSchemas([column('id', 'bigint', 'int64'), column('qty', 'integer', 'int32')], [column('id', 'bigint', 'int64'), column('qty', 'bigint', 'int64')]);

    // Act
    const before = evolveTableSql(snowflakeDialect, description.stagingTable, 'staging', description, changes, snowflakeColumns({ ID: 'NUMBER(19,0)', QTY: 'NUMBER(10,0)' }));
    const after = evolveTableSql(snowflakeDialect, description.stagingTable, 'staging', description, changes, snowflakeColumns({ ID: 'NUMBER(19,0)', QTY: 'NUMBER(19,0)' }));

    // Assess
    expect(before).toEqual(['alter table "STAGING"."SHOP__ORDERS" alter column "QTY" set data type NUMBER(19,0)']);
    expect(after).toEqual([]);
  });

  it('refuses text → jsonb on Snowflake (VARCHAR → VARIANT in staging) before any statement, and needs nothing on DuckDB', () => {
    // Prepare
    const description = columns({ name: 'doc', sourceType: 'jsonb', arrowType: 'string' });
    const { changes } = compareSchemas([column('id', 'bigint', 'int64'), column('doc', 'text', 'string')], [column('id', 'bigint', 'int64'), column('doc', 'jsonb', 'string')]);
    const duckdb = { types: new Map([['id', 'BIGINT'], ['doc', 'VARCHAR']]), key: (name: string) => name.toLowerCase(), canonical: canonicalDuckDbType };

    // Act
    const onSnowflake = () => evolveTableSql(snowflakeDialect, description.stagingTable, 'staging', description, changes, snowflakeColumns({ ID: 'NUMBER(19,0)', DOC: 'TEXT' }));

    // Assess
    expect(changes.map((change) => change.change)).toEqual(['retyped']);
    expect(onSnowflake).toThrow(SchemaChangeError);
    expect(onSnowflake).toThrow('column doc retyped from text to jsonb, but snowflake cannot alter "STAGING"."SHOP__ORDERS" from VARCHAR(134217728) to VARIANT in place');
    expect(evolveTableSql(snowflakeDialect, description.rawTable, 'raw', description, changes, snowflakeColumns({ ID: 'NUMBER(19,0)', DOC: 'TEXT' }))).toEqual([]);
    expect(evolveTableSql(duckDbDialect, description.stagingTable, 'staging', description, changes, duckdb)).toEqual([]);
  });

  describe('a column landed as array text that now lands as a list', () => {
    const known = [column('id', 'bigint', 'int64'), column('tags', 'text[]', 'string')];
    const next = [column('id', 'bigint', 'int64'), column('tags', 'text[]', 'list<item: string>')];
    const arrays = (mode: 'full' | 'incremental') => ({
      ...columns({ name: 'tags', sourceType: 'text[]', arrowType: 'list<item: string>' }), mode,
    });
    const duckdb = (types: Record<string, string>) => ({ types: new Map(Object.entries(types)), key: (name: string) => name.toLowerCase(), canonical: canonicalDuckDbType });

    it('is not judged by the manifests alone: the warehouse table decides', () => {
      // Act
      const { changes, incompatible } = compareSchemas(known, next);

      // Assess
      expect(incompatible).toEqual([]);
      expect(changes).toEqual([{ column: 'tags', change: 'retyped', from: { sourceType: 'text[]', arrowType: 'string' }, to: { sourceType: 'text[]', arrowType: 'list<item: string>' } }]);
    });

    it.each([
      ['DuckDB', duckDbDialect, duckdb({ id: 'BIGINT', tags: 'VARCHAR' }), '"raw"."shop__orders" and "staging"."shop__orders"', 'VARCHAR[]'],
      ['Snowflake', snowflakeDialect, snowflakeColumns({ ID: 'NUMBER(19,0)', TAGS: 'TEXT' }), '"RAW"."SHOP__ORDERS" and "STAGING"."SHOP__ORDERS"', 'ARRAY'],
    ] as const)('is refused on %s while the text column is there, naming table, column and what to do', (_name, dialect, existing, tables, wanted) => {
      // Prepare
      const { changes } = compareSchemas(known, next);

      // Act
      const act = () => evolveTableSql(dialect, arrays('full').stagingTable, 'staging', arrays('full'), changes, existing);

      // Assess
      expect(act).toThrow(SchemaChangeError);
      expect(act).toThrow(`Table orders of source shop: column tags holds text (${existing.types.get(dialect === duckDbDialect ? 'tags' : 'TAGS') ?? ''}: PostgreSQL's array text) in ${tables}, and this run extracts it as list<item: string> (${wanted}).`);
      expect(act).toThrow('nothing of this run was loaded and the watermark stays. Rename (or drop) the column in both tables');
      expect(act).toThrow('then reload the table in full (floe run --full --source shop --table orders).');
    });

    it('is refused when loading too, where no last known schema judged the change (a state store made anew)', () => {
      // Act
      const act = () => ensureTableSql(duckDbDialect, arrays('full').rawTable, 'raw', arrays('full'), duckdb({ id: 'BIGINT', tags: 'VARCHAR' }));

      // Assess
      expect(act).toThrow(SchemaChangeError);
      expect(act).toThrow('column tags holds text (VARCHAR: PostgreSQL\'s array text) in "raw"."shop__orders" and "staging"."shop__orders"');
    });

    it('is refused in an incremental run even once the column is renamed, and adds the list column in a full one', () => {
      // Prepare
      const { changes } = compareSchemas(known, next);
      const renamed = duckdb({ id: 'BIGINT', tags_text: 'VARCHAR' });

      // Act
      const incremental = () => evolveTableSql(duckDbDialect, arrays('incremental').rawTable, 'raw', arrays('incremental'), changes, renamed);
      const full = evolveTableSql(duckDbDialect, arrays('full').rawTable, 'raw', arrays('full'), changes, renamed);

      // Assess
      expect(incremental).toThrow('Reload the table in full (floe run --full --source shop --table orders) so every row has its list.');
      expect(full).toEqual(['alter table "raw"."shop__orders" add column "tags" VARCHAR[]']);
    });
  });
});
