import { canonicalDuckDbType, duckDbTypeForArrow } from '../../warehouse/duckdb-type.js';

describe('Warehouse: Arrow types mapped to DuckDB', () => {
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
  ])('maps Arrow %s to DuckDB %s in raw and staging', (arrowType, duckDbType) => {
    // Prepare, Act
    const type = duckDbTypeForArrow(arrowType);

    // Assess
    expect(type).toEqual({ raw: duckDbType, staging: duckDbType, inexact: null });
  });

  it('spells decimals wider than 38 digits VARCHAR and says why they cannot load exactly', () => {
    // Prepare, Act
    const type = duckDbTypeForArrow('decimal256(50, 10)');

    // Assess
    expect(type?.raw).toBe('VARCHAR');
    expect(type?.inexact).toContain("is wider than DuckDB's DECIMAL(38)");
  });

  it('returns null for a type floe does not know, so the caller can name the column', () => {
    expect(duckDbTypeForArrow('dictionary<values=string, indices=int8>')).toBeNull();
  });

  it.each([
    ['list<item: int32>', 'INTEGER[]'],
    ['list<item: list<item: int32>>', 'INTEGER[][]'],
    ['list<element: decimal128(10, 2)>', 'DECIMAL(10,2)[]'],
    ['list<item: timestamp[us, tz=UTC]>', 'TIMESTAMPTZ[]'],
    ['large_list<item: string not null>', 'VARCHAR[]'],
  ])('maps the Arrow list %s (a PostgreSQL array) to the DuckDB LIST %s', (arrowType, duckDbType) => {
    // Prepare, Act
    const type = duckDbTypeForArrow(arrowType);

    // Assess
    expect(type).toEqual({ raw: duckDbType, staging: duckDbType, inexact: null });
  });

  it('returns null for a list of a type floe does not know, and keeps why an element would not load exactly', () => {
    // Prepare, Act
    const unknown = duckDbTypeForArrow('list<item: dictionary<values=string, indices=int8>>');
    const wide = duckDbTypeForArrow('list<item: decimal256(50, 10)>');

    // Assess
    expect(unknown).toBeNull();
    expect(wide?.inexact).toContain("is wider than DuckDB's DECIMAL(38)");
  });

  it('spells declared types as information_schema reports them', () => {
    expect(['TIMESTAMPTZ', 'decimal(12, 2)', 'TEXT', 'int'].map(canonicalDuckDbType)).toEqual(['TIMESTAMP WITH TIME ZONE', 'DECIMAL(12,2)', 'VARCHAR', 'INTEGER']);
    expect(['TIMESTAMPTZ[]', 'int[][]', 'decimal(10, 2)[]'].map(canonicalDuckDbType)).toEqual(['TIMESTAMP WITH TIME ZONE[]', 'INTEGER[][]', 'DECIMAL(10,2)[]']);
  });
});
