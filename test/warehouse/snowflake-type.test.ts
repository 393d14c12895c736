import { readFileSync } from 'node:fs';
import { canonicalSnowflakeType, SNOWFLAKE_MAX_BINARY_BYTES, SNOWFLAKE_MAX_TEXT_BYTES, snowflakeTypeForArrow } from '../../warehouse/snowflake-type.js';

describe('Warehouse: Arrow types mapped to Snowflake', () => {
  it.each([
    ['int8', 'smallint', 'NUMBER(3,0)'],
    ['int16', 'smallint', 'NUMBER(5,0)'],
    ['int32', 'integer', 'NUMBER(10,0)'],
    ['int64', 'bigint', 'NUMBER(19,0)'],
    ['uint64', 'bigint unsigned', 'NUMBER(20,0)'],
    ['decimal128(12, 2)', 'numeric(12,2)', 'NUMBER(12,2)'],
    ['decimal256(38, 0)', 'numeric(38,0)', 'NUMBER(38,0)'],
    ['double', 'double precision', 'FLOAT'],
    ['float', 'real', 'FLOAT'],
    ['bool', 'boolean', 'BOOLEAN'],
    ['string', 'text', 'VARCHAR(134217728)'],
    ['binary', 'bytea', 'BINARY(67108864)'],
    ['date32[day]', 'date', 'DATE'],
    ['timestamp[us]', 'timestamp without time zone', 'TIMESTAMP_NTZ(6)'],
    ['timestamp[ms]', 'datetime(3)', 'TIMESTAMP_NTZ(3)'],
    ['timestamp[us, tz=UTC]', 'timestamp with time zone', 'TIMESTAMP_TZ(6)'],
    ['timestamp[ns, tz=+05:30]', 'timestamptz', 'TIMESTAMP_TZ(9)'],
    ['time64[us]', 'time', 'TIME(6)'],
  ])('maps Arrow %s (source %s) to %s in raw and staging', (arrowType, sourceType, snowflakeType) => {
    // Prepare, Act
    const type = snowflakeTypeForArrow(arrowType, sourceType);

    // Assess
    expect(type).toEqual({ raw: snowflakeType, staging: snowflakeType, inexact: null });
  });

  it.each([
    ['list<item: int32>', 'integer[]'],
    ['list<item: list<item: int32>>', 'integer[]'],
    ['list<item: string>', 'jsonb[]'],
    ['list<item: timestamp[us, tz=UTC]>', 'timestamp with time zone[]'],
    ['list<item: binary>', 'bytea[]'],
  ])('lands the Arrow list %s (source %s) as a semi-structured ARRAY in raw and staging', (arrowType, sourceType) => {
    // Prepare, Act
    const type = snowflakeTypeForArrow(arrowType, sourceType);

    // Assess
    expect(type).toEqual({ raw: 'ARRAY', staging: 'ARRAY', inexact: null });
  });

  it('keeps JSON as text in raw and parses it into VARIANT in staging', () => {
    // Prepare, Act
    const types = ['json', 'jsonb', 'JSON'].map((source) => snowflakeTypeForArrow('string', source));

    // Assess
    expect(types).toEqual(Array(3).fill({ raw: 'VARCHAR(134217728)', staging: 'VARIANT', inexact: null }));
  });

  it('spells decimals wider than 38 digits VARCHAR and says why they cannot load exactly', () => {
    // Prepare, Act
    const type = snowflakeTypeForArrow('decimal256(50, 10)', 'numeric(50,10)');

    // Assess
    expect(type?.raw).toBe('VARCHAR(134217728)');
    expect(type?.inexact).toContain("is wider than Snowflake's NUMBER(38)");
  });

  it('returns null for a type floe does not know, so the caller can name the column', () => {
    // Prepare, Act
    const type = snowflakeTypeForArrow('dictionary<values=string, indices=int8>', 'enum');

    // Assess
    expect(type).toBeNull();
  });

  it('spells declared types as information_schema reports them', () => {
    // Prepare, Act
    const spelled = ['VARCHAR', 'NUMBER(19,0)', 'TIMESTAMP_TZ(6)', 'decimal(12, 2)', 'VARIANT'].map(canonicalSnowflakeType);

    // Assess
    expect(spelled).toEqual(['TEXT', 'NUMBER(19,0)', 'TIMESTAMP_TZ', 'NUMBER(12,2)', 'VARIANT']);
  });

  it("declares the longest VARCHAR and BINARY, exactly the lengths past which the extraction job sets a value aside", () => {
    // Prepare: https://docs.snowflake.com/en/sql-reference/data-types-text (VARCHAR up to 134,217,728 bytes; BINARY 67,108,864)
    const job = readFileSync(new URL('../../glue/floe_extract/quarantine.py', import.meta.url), 'utf8');
    const limit = (name: string): number => Number(/^NAME = ([\d_]+)$/m.exec(job.replace(/^(TEXT|BINARY)_LIMIT_BYTES/gm, (found) => (found === name ? 'NAME' : found)))?.[1]?.replaceAll('_', ''));

    // Act
    const text = snowflakeTypeForArrow('large_string', 'text');
    const binary = snowflakeTypeForArrow('large_binary', 'bytea');

    // Assess: a longer value reaches no file, so none aborts a COPY; a shorter declaration would abort it
    expect(limit('TEXT_LIMIT_BYTES')).toBe(SNOWFLAKE_MAX_TEXT_BYTES);
    expect(limit('BINARY_LIMIT_BYTES')).toBe(SNOWFLAKE_MAX_BINARY_BYTES);
    expect(text?.raw).toBe('VARCHAR(134217728)');
    expect(binary?.raw).toBe('BINARY(67108864)');
  });
});
