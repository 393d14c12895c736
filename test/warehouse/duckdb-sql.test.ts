import { readFileSync, writeFileSync } from 'node:fs';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { insertRawSql } from '../../warehouse/duckdb-sql.js';
import { compareSnapshotSql, createRawTableSql, createStagingTableSql, mergeByDeleteAndInsertSql, replaceStagingSql } from '../../warehouse/table-sql.js';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';

const fixtures = new URL('../fixtures/warehouse/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest-order-items.json', fixtures), 'utf8')) as ManifestLike;
const description = describeTable(manifest);
const runId = manifest.runId;

/** Golden files: `UPDATE_GOLDEN=1 npm test -- test/warehouse` rewrites them; review the diff by eye. */
function expectGolden(name: string, sql: string): void {
  const file = new URL(name, fixtures);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, `${sql};\n`);
  expect(`${sql};\n`).toBe(readFileSync(file, 'utf8'));
}

describe('Warehouse: DuckDB SQL generated from a table description', () => {
  it('creates the raw table with the extracted columns and the load metadata', () => {
    expectGolden('create-raw-table.sql', createRawTableSql(duckDbDialect, description));
  });

  it('creates the staging table with the primary key', () => {
    expectGolden('create-staging-table.sql', createStagingTableSql(duckDbDialect, description));
  });

  it('inserts a run into raw from its Parquet files with bound locations', () => {
    // Prepare
    const files = [
      { location: '/raw/a.parquet', path: 'a.parquet' },
      { location: '/raw/b.parquet', path: 'b.parquet' },
    ];

    // Act
    const insert = insertRawSql(description, runId, manifest.startedAt, files);

    // Assess
    expectGolden('insert-raw.sql', insert.sql);
    expect(insert.params).toEqual([runId, manifest.startedAt, '/raw/a.parquet', 'a.parquet', '/raw/b.parquet', 'b.parquet']);
  });

  it('merges the deduped run into staging by deleting the rows it supersedes and inserting the keys staging lacks', () => {
    // Prepare, Act
    const statements = mergeByDeleteAndInsertSql(duckDbDialect, description, runId);

    // Assess
    expectGolden('merge-staging.sql', statements.map((statement) => `${statement.sql};`).join('\n').slice(0, -1));
    expect(statements.map((statement) => statement.params)).toEqual([[runId], [runId]]);
  });

  it('replaces staging with the run in full mode and counts the differences first', () => {
    // Prepare, Act
    const statements = replaceStagingSql(duckDbDialect, description, runId).map((statement) => `${statement.sql};`).join('\n');

    // Assess
    expectGolden('replace-staging.sql', statements.slice(0, -1));
    expectGolden('compare-snapshot.sql', compareSnapshotSql(duckDbDialect, description, runId).sql);
  });
});
