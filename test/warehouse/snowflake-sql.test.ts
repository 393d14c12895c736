import { readFileSync, writeFileSync } from 'node:fs';
import { sessionSettingsSql } from '../../warehouse/snowflake-connection.js';
import { snowflakeDialectIn } from '../../warehouse/snowflake-dialect.js';
import { formatDdlScript, snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { createProcessProcedureSql, createProcessTableProcedureSql } from '../../warehouse/snowflake-procedure.js';
import { COPY_FILES_LIMIT, copyRunIntoRawSql, DEFAULT_STAGE_NAMES, LOCAL_RAW_STAGE, negativeUnsignedSql, putFileSql, stampRunRowsSql } from '../../warehouse/snowflake-sql.js';
import { appendStagingSql, compareRowsSql, compareSnapshotSql, createGoldTableSql, createRawTableSql, createStagingTableSql, mergeStagingSql, replaceStagingSql } from '../../warehouse/table-sql.js';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';

const fixtures = new URL('../fixtures/warehouse/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest-order-items.json', fixtures), 'utf8')) as ManifestLike;
const DATABASE = 'ANALYTICS';
const dialect = snowflakeDialectIn(DATABASE);
const description = describeTable(manifest);
const fullDescription = describeTable({ ...structuredClone(manifest), mode: 'full', incrementalColumn: null });
/** The same table without a primary key: replaced in full mode, appended otherwise (issue 20). */
const keylessFull = describeTable({ ...structuredClone(manifest), mode: 'full', primaryKey: [] });
const appended = describeTable({
  ...structuredClone(manifest),
  primaryKey: [],
  columns: [...manifest.columns, { name: 'payload', arrowType: 'string', sourceType: 'jsonb', nullable: true }],
});
const withJson = describeTable({
  ...structuredClone(manifest),
  columns: [...manifest.columns, { name: 'payload', arrowType: 'string', sourceType: 'jsonb', nullable: true }],
});
const withEdges = describeTable({
  ...structuredClone(manifest),
  columns: [
    ...manifest.columns,
    { name: 'photo', arrowType: 'binary', sourceType: 'bytea', nullable: true },
    { name: 'big', arrowType: 'uint64', sourceType: 'bigint unsigned', nullable: true },
    { name: 'straße', arrowType: 'string', sourceType: 'text', nullable: true },
  ],
});
const withArrays = describeTable({
  ...structuredClone(manifest),
  columns: [
    ...manifest.columns,
    { name: 'tags', arrowType: 'list<item: string>', sourceType: 'text[]', nullable: true },
    { name: 'grid', arrowType: 'list<item: list<item: int32>>', sourceType: 'integer[]', nullable: true },
    { name: 'docs', arrowType: 'list<item: string>', sourceType: 'jsonb[]', nullable: true },
  ],
});
const runId = manifest.runId;
const [file] = manifest.files;

/** Golden files: `UPDATE_GOLDEN=1 npm test -- test/warehouse` rewrites them; review the diff by eye. */
function expectGolden(name: string, sql: string): void {
  const golden = new URL(`snowflake/${name}`, fixtures);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, `${sql};\n`);
  expect(`${sql};\n`).toBe(readFileSync(golden, 'utf8'));
}

describe('Warehouse: Snowflake SQL generated from the same table description', () => {
  it('creates the raw table with exact types, the longest VARCHAR and BINARY, and load metadata COPY fills in', () => {
    // Snowflake's VARCHAR without a length holds 16 MB, BINARY 8 MB; declared, 128 MB and 64 MB
    // (https://docs.snowflake.com/en/sql-reference/data-types-text): what the extraction job lets through.
    expectGolden('create-raw-table.sql', createRawTableSql(dialect, withEdges));
  });

  it('names a column whose upper-casing is not a plain case change exactly as the source does', () => {
    // Prepare, Act
    const ddl = createRawTableSql(dialect, withEdges);

    // Assess: "straße" upper-cased would be "STRASSE", which a case-insensitive COPY might not match to the file's straße
    expect(ddl).toContain('"straße" VARCHAR(134217728)');
    expect(ddl).not.toContain('STRASSE');
  });

  it('creates the staging table with VARIANT for a JSON source column', () => {
    expectGolden('create-staging-table.sql', createStagingTableSql(dialect, withJson));
  });

  it('lands PostgreSQL arrays as ARRAY in raw and staging, merged as COPY loaded them (jsonb[] elements stay text)', () => {
    // Prepare, Act: https://docs.snowflake.com/en/sql-reference/data-types-semistructured#array (an ARRAY of ARRAYs for 2-D)
    const tables = `${createRawTableSql(dialect, withArrays)};\n${createStagingTableSql(dialect, withArrays)}`;
    const merge = mergeStagingSql(dialect, withArrays, runId);

    // Assess
    expectGolden('create-tables-with-arrays.sql', tables);
    expect(merge.sql).toContain('"GRID" = incoming."GRID",\n  "DOCS" = incoming."DOCS"');
    expect(merge.sql).not.toContain('parse_json');
  });

  it("copies a run's files in one COPY, recording file names and row numbers, loading files of uncertain status", () => {
    // Prepare
    const paths = [file?.path ?? '', 'PostgreSQL/shop/sales.order items/2025-11-05/12/r-20251105-1200-0-1.parquet'];

    // Act
    const copy = copyRunIntoRawSql(dialect, description, paths, DEFAULT_STAGE_NAMES);

    // Assess: https://docs.snowflake.com/en/sql-reference/sql/copy-into-table (INCLUDE_METADATA, LOAD_UNCERTAIN_FILES)
    expectGolden('copy-run-into-raw.sql', copy);
    expect(copy).toContain('load_uncertain_files = true');
    expect(copy).toContain('include_metadata = ("_FLOE_FILE" = METADATA$FILENAME, "_FLOE_ROW" = METADATA$FILE_ROW_NUMBER)');
  });

  it('refuses a FILES list over 1,000 files, the most one COPY takes', () => {
    // Prepare: https://docs.snowflake.com/en/user-guide/data-load-considerations-load#lists-of-files
    const paths = Array.from({ length: COPY_FILES_LIMIT + 1 }, (_, index) => `f${index}.parquet`);

    // Act
    const act = (): string => copyRunIntoRawSql(dialect, description, paths, DEFAULT_STAGE_NAMES);

    // Assess
    expect(COPY_FILES_LIMIT).toBe(1000);
    expect(act).toThrow('One COPY names 1 to 1000 files, not 1001.');
  });

  it("stamps only the rows without a run, the run's, with bound values, once per run", () => {
    // Prepare, Act
    const stamp = stampRunRowsSql(dialect, description, runId, manifest.startedAt);

    // Assess
    expectGolden('stamp-run-rows.sql', stamp.sql);
    expect(stamp.params).toEqual([runId, manifest.startedAt]);
  });

  it('counts negative values of unsigned 64-bit columns among the rows just copied', () => {
    // Prepare, Act
    const check = negativeUnsignedSql(dialect, withEdges);

    // Assess
    expect(check?.sql).toBe('select count_if("BIG" < 0) as "u0" from "ANALYTICS"."RAW"."SHOP__SALES__ORDER ITEMS" where "_FLOE_RUN_ID" is null');
    expect(negativeUnsignedSql(dialect, description)).toBeNull();
  });

  it("PUTs a local file under its manifest path as it is, the stage location quoted for a path with spaces", () => {
    // https://docs.snowflake.com/en/sql-reference/sql/put
    expectGolden('put-file.sql', putFileSql(dialect, '/home/me/raw/PostgreSQL/shop/sales.order items/2025-11-05/12/r1-0-0.parquet', LOCAL_RAW_STAGE, 'PostgreSQL/shop/sales.order items/2025-11-05/12'));
  });

  it('merges with the same rules as DuckDB, parsing JSON into VARIANT with duplicate keys allowed', () => {
    // Prepare, Act
    const merge = mergeStagingSql(dialect, withJson, runId);

    // Assess: https://docs.snowflake.com/en/sql-reference/functions/parse_json ('d' allows duplicate keys)
    expectGolden('merge-staging.sql', merge.sql);
    expect(merge.sql).toContain(`parse_json("PAYLOAD", 'd') as "PAYLOAD"`);
    expect(merge.params).toEqual([runId]);
  });

  it('replaces staging in full mode and counts the differences with count_if', () => {
    // Prepare, Act
    const statements = replaceStagingSql(dialect, fullDescription, runId).map((statement) => `${statement.sql};`).join('\n');

    // Assess
    expectGolden('replace-staging.sql', statements.slice(0, -1));
    expectGolden('compare-snapshot.sql', compareSnapshotSql(dialect, fullDescription, runId).sql);
  });

  it('replaces staging of a table without a key with every row of the run, duplicates kept, counted as multisets by HASH', () => {
    // Prepare, Act
    const statements = replaceStagingSql(dialect, keylessFull, runId, true).map((statement) => `${statement.sql};`).join('\n');
    const counts = compareRowsSql(dialect, keylessFull, runId, 'replace');

    // Assess: https://docs.snowflake.com/en/sql-reference/functions/hash (any number of values, NULL hashed too)
    expectGolden('replace-staging-keyless.sql', statements.slice(0, -1));
    expectGolden('compare-rows-replace.sql', counts.sql);
    expect(statements).not.toContain('qualify');
    expect(counts.params).toEqual([runId]);
  });

  it("appends a run of a table without a key in place of the staging rows it reads again, JSON parsed as for MERGE", () => {
    // Prepare, Act
    const statements = appendStagingSql(dialect, appended, runId);
    const counts = compareRowsSql(dialect, appended, runId, 'append');

    // Assess
    expectGolden('append-staging.sql', statements.map((statement) => `${statement.sql};`).join('\n').slice(0, -1));
    expectGolden('compare-rows-append.sql', counts.sql);
    expect(statements[0]?.sql).toContain('"UPDATED_AT" >= (select min(run_rows."UPDATED_AT") from "ANALYTICS"."RAW"."SHOP__SALES__ORDER ITEMS" as run_rows where run_rows."_FLOE_RUN_ID" = $1)');
    expect(statements[1]?.sql).toContain(`parse_json("PAYLOAD", 'd') as "PAYLOAD"`);
    expect(statements.map((statement) => statement.params)).toEqual([[runId], [runId]]);
  });

  it('rebuilds a gold model keeping the grants others gave on it', () => {
    // https://docs.snowflake.com/en/sql-reference/sql/create-table (COPY GRANTS)
    expect(createGoldTableSql(dialect, 'gold', 'daily', 'select 1 as x')).toBe('create or replace table "ANALYTICS"."GOLD"."DAILY" copy grants as\nselect 1 as x');
  });

  it('wraps the incremental MERGE in a per-table procedure, every name qualified with the database', () => {
    expectGolden('process-procedure-incremental.sql', createProcessProcedureSql(description, DATABASE));
  });

  it('wraps the full-mode replace in a per-table procedure that counts into variables', () => {
    expectGolden('process-procedure-full.sql', createProcessProcedureSql(fullDescription, DATABASE));
  });

  it('wraps the replace of a table without a key in a procedure: counts into variables, then DELETE and INSERT in one transaction', () => {
    // Prepare, Act
    const procedure = createProcessProcedureSql(keylessFull, DATABASE);

    // Assess: a transaction's statements commit as one unit, seen by other sessions only once committed
    // (https://docs.snowflake.com/en/sql-reference/transactions)
    expectGolden('process-procedure-keyless-full.sql', procedure);
    expect(procedure.indexOf('begin transaction;')).toBeLessThan(procedure.indexOf('delete from'));
    expect(procedure.indexOf('insert into')).toBeLessThan(procedure.indexOf('commit;'));
  });

  it('wraps the append of a table without a key in a procedure: counts, then the restated rows replaced, in one transaction', () => {
    expectGolden('process-procedure-append.sql', createProcessProcedureSql(appended, DATABASE));
  });

  it('dispatches PROCESS_TABLE to the table procedure by fixed names only, a branch per table', () => {
    // Prepare
    const customers = describeTable({ ...structuredClone(manifest), table: 'sales.customers' });

    // Act
    const dispatcher = createProcessTableProcedureSql([description, customers], DATABASE);

    // Assess
    expectGolden('process-table.sql', dispatcher);
  });

  it('writes a dispatcher with no table as a plain raise: a CASE needs at least one WHEN', () => {
    // https://docs.snowflake.com/en/sql-reference/snowflake-scripting/case
    const dispatcher = createProcessTableProcedureSql([], DATABASE);
    expectGolden('process-table-empty.sql', dispatcher);
    expect(dispatcher).not.toMatch(/\bcase\b/);
  });

  it('opens every session in UTC with statement and lock timeouts and detached statements aborted', () => {
    // https://docs.snowflake.com/en/sql-reference/parameters (TIMEZONE, STATEMENT_TIMEOUT_IN_SECONDS, LOCK_TIMEOUT, ABORT_DETACHED_QUERY)
    expect(sessionSettingsSql(840)).toBe("alter session set timezone = 'UTC' statement_timeout_in_seconds = 840 lock_timeout = 840 abort_detached_query = true " +
      "binary_input_format = 'HEX' date_input_format = 'AUTO' time_input_format = 'AUTO' timestamp_input_format = 'AUTO' " +
      "timestamp_type_mapping = 'TIMESTAMP_NTZ' quoted_identifiers_ignore_case = false");
  });

  it('prints the whole account script: roles, grants, integrations, stage, tables, procedures and FLOE_INGEST', () => {
    // Prepare
    const settings = {
      database: DATABASE,
      role: 'FLOE',
      adminRole: 'ACCOUNTADMIN',
      rawUrl: 's3://floe-raw/landing',
      storageIntegration: { name: 'floe_raw', roleArn: 'arn:aws:iam::123456789012:role/floe-snowflake-raw' },
      ingest: { apiIntegration: 'floe_api', roleArn: 'arn:aws:iam::123456789012:role/floe-snowflake-api', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/ingest' },
    };

    // Act
    const script = formatDdlScript(snowflakeAccountDdl(settings, [description]), settings);

    // Assess
    expectGolden('account.sql', script.trimEnd().replace(/;$/, ''));
  });

  it('keeps grants: nothing of the account script is created with a bare CREATE OR REPLACE', () => {
    // Prepare: create or replace drops the grants others gave (https://docs.snowflake.com/en/sql-reference/sql/create#general-usage-notes)
    const statements = snowflakeAccountDdl({ database: DATABASE, rawUrl: 's3://floe-raw/landing', ingest: { apiIntegration: 'floe_api', roleArn: 'arn:aws:iam::123456789012:role/r', url: 'https://x.example/ingest' } }, [description]);

    // Act
    const replacing = statements.filter((statement) => /^create or replace/i.test(statement.sql) && !/^create or replace procedure [^\n]+\ncopy grants\n/i.test(statement.sql));

    // Assess
    expect(replacing).toEqual([]);
  });
});
