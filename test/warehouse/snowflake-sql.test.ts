import { readFileSync, writeFileSync } from 'node:fs';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { formatDdlScript, snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { createProcessProcedureSql, createProcessTableProcedureSql } from '../../warehouse/snowflake-procedure.js';
import { copyFileIntoRawSql, DEFAULT_STAGE_NAMES, stampCopiedRowsSql } from '../../warehouse/snowflake-sql.js';
import { compareSnapshotSql, createRawTableSql, createStagingTableSql, mergeStagingSql, replaceStagingSql } from '../../warehouse/table-sql.js';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';

const fixtures = new URL('../fixtures/warehouse/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest-order-items.json', fixtures), 'utf8')) as ManifestLike;
const description = describeTable(manifest);
const fullDescription = describeTable({ ...structuredClone(manifest), mode: 'full', incrementalColumn: null });
const withJson = describeTable({
  ...structuredClone(manifest),
  columns: [...manifest.columns, { name: 'payload', arrowType: 'string', sourceType: 'jsonb', nullable: true }],
});
const runId = manifest.runId;

/** Golden files: `UPDATE_GOLDEN=1 npm test -- test/warehouse` rewrites them; review the diff by eye. */
function expectGolden(name: string, sql: string): void {
  const file = new URL(`snowflake/${name}`, fixtures);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, `${sql};\n`);
  expect(`${sql};\n`).toBe(readFileSync(file, 'utf8'));
}

describe('Warehouse: Snowflake SQL generated from the same table description', () => {
  it('creates the raw table with exact types and load metadata that COPY fills in afterwards', () => {
    expectGolden('create-raw-table.sql', createRawTableSql(snowflakeDialect, description));
  });

  it('creates the staging table with VARIANT for a JSON source column', () => {
    expectGolden('create-staging-table.sql', createStagingTableSql(snowflakeDialect, withJson));
  });

  it('copies exactly one manifest file by column name, with file row numbers', () => {
    // Prepare
    const [file] = manifest.files;

    // Act
    const copy = copyFileIntoRawSql(description, file?.path ?? '', DEFAULT_STAGE_NAMES, true);

    // Assess
    expectGolden('copy-file-into-raw.sql', copy);
  });

  it('stamps the copied rows with the run, file and extraction time as bound values', () => {
    // Prepare, Act
    const stamp = stampCopiedRowsSql(description, runId, 'a.parquet', manifest.startedAt);

    // Assess
    expectGolden('stamp-copied-rows.sql', stamp.sql);
    expect(stamp.params).toEqual([runId, 'a.parquet', manifest.startedAt]);
  });

  it('merges with the same rules as DuckDB, parsing JSON into VARIANT', () => {
    // Prepare, Act
    const merge = mergeStagingSql(snowflakeDialect, withJson, runId);

    // Assess
    expectGolden('merge-staging.sql', merge.sql);
    expect(merge.params).toEqual([runId]);
  });

  it('replaces staging in full mode and counts the differences with count_if', () => {
    // Prepare, Act
    const statements = replaceStagingSql(snowflakeDialect, fullDescription, runId).map((statement) => `${statement.sql};`).join('\n');

    // Assess
    expectGolden('replace-staging.sql', statements.slice(0, -1));
    expectGolden('compare-snapshot.sql', compareSnapshotSql(snowflakeDialect, fullDescription, runId).sql);
  });

  it('wraps the incremental MERGE in a per-table procedure reading the run id from its argument', () => {
    expectGolden('process-procedure-incremental.sql', createProcessProcedureSql(description));
  });

  it('wraps the full-mode replace in a per-table procedure that counts into variables', () => {
    expectGolden('process-procedure-full.sql', createProcessProcedureSql(fullDescription));
  });

  it('dispatches PROCESS_TABLE to the table procedure by fixed names only', () => {
    expectGolden('process-table.sql', createProcessTableProcedureSql([description]));
  });

  it('prints the whole account script: integrations, stage, tables, procedures and FLOE_INGEST', () => {
    // Prepare
    const settings = {
      database: 'ANALYTICS',
      rawUrl: 's3://floe-raw/landing',
      storageIntegration: { name: 'floe_raw', roleArn: 'arn:aws:iam::123456789012:role/floe-snowflake-raw' },
      ingest: { apiIntegration: 'floe_api', roleArn: 'arn:aws:iam::123456789012:role/floe-snowflake-api', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/ingest' },
    };

    // Act
    const script = formatDdlScript(snowflakeAccountDdl(settings, [description]));

    // Assess
    expectGolden('account.sql', script.trimEnd().replace(/;$/, ''));
  });
});
