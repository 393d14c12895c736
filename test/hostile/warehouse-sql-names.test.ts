import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { createProcessProcedureSql, createProcessTableProcedureSql } from '../../warehouse/snowflake-procedure.js';
import { copyRunIntoRawSql, DEFAULT_STAGE_NAMES, stampRunRowsSql } from '../../warehouse/snowflake-sql.js';
import type { SqlDialect } from '../../warehouse/sql-dialect.js';
import { describeTable, type ManifestLike } from '../../warehouse/table-description.js';
import * as sql from '../../warehouse/table-sql.js';

/**
 * Every statement either warehouse runs for a table, generated for injection-shaped names: once
 * quoted names and string literals are taken out, none of the names' text is left, so no name
 * can become SQL. The statements running for real is proven on DuckDB end to end
 * (hostile-names.test.ts) and, for columns, on fakesnow by the warehouse conformance suite.
 */

const INJECTION = 'x"; drop table canary; --';
const TABLE = `we"ird sch'ema.${INJECTION} \\ $1 'it''s'`;
const COLUMNS = [INJECTION, "it's'; drop table canary; --", 'back`tick', 'Größe 📦', 'select', 'order', '$1', 'a\\b'];

function manifest(table: string, columns: readonly string[]): ManifestLike {
  return {
    runId: 'r1', database: 'src', table, mode: 'incremental', primaryKey: [columns[0]!], incrementalColumn: columns[5]!,
    columns: columns.map((name) => ({ name, arrowType: 'string', sourceType: 'text', nullable: true })),
    files: [], totalRows: 0, startedAt: '2025-11-05T12:00:00Z',
  };
}

/** The statement with every quoted name and string literal replaced by a marker. */
function outsideQuotes(statement: string): string {
  return statement.replace(/"(?:[^"]|"")*"|'(?:[^'\\]|\\.|'')*'/gs, ' Q ');
}

function statements(dialect: SqlDialect): string[] {
  const description = describeTable(manifest(TABLE, COLUMNS));
  const texts = [
    sql.createRawTableSql(dialect, description),
    sql.createStagingTableSql(dialect, description),
    sql.countRawRowsPerFileSql(dialect, description, 'r1').sql,
    sql.runKeysAreUniqueSql(dialect, description, 'r1').sql,
    sql.mergeStagingSql(dialect, description, 'r1').sql,
    ...sql.mergeByDeleteAndInsertSql(dialect, description, 'r1').map((statement) => statement.sql),
    sql.compareSnapshotSql(dialect, description, 'r1').sql,
    ...sql.replaceStagingSql(dialect, description, 'r1').map((statement) => statement.sql),
    // Delete detection: the soft-delete column, and keys marked or removed (key values are bound).
    sql.createStagingTableSql(dialect, { ...description, softDelete: true }),
    sql.mergeStagingSql(dialect, { ...description, softDelete: true }, 'r1').sql,
    sql.addDeletedAtColumnSql(dialect, description),
    ...(['mark', 'remove'] as const).map((how) => sql.applyDetectedDeletesSql(dialect, description, [[INJECTION]], how, '2025-11-05T12:00:00Z').sql),
  ];
  if (dialect.name === 'snowflake') {
    const file = `PostgreSQL/src/${TABLE}/2025-11-05/12/r1-0-0.parquet`;
    texts.push(
      copyRunIntoRawSql(dialect, description, [file], DEFAULT_STAGE_NAMES),
      stampRunRowsSql(dialect, description, 'r1', '2025-11-05T12:00:00Z').sql,
      createProcessProcedureSql(description, 'ANALYTICS'),
      createProcessTableProcedureSql([description], 'ANALYTICS'),
    );
  }
  return texts;
}

describe.each([duckDbDialect, snowflakeDialect])('Warehouse SQL on $name: injection-shaped names', (dialect) => {
  it('keeps every name inside quotes in every statement', () => {
    // Act
    const leftOver = statements(dialect).map(outsideQuotes);

    // Assess
    expect(leftOver.length).toBeGreaterThanOrEqual(dialect.name === 'snowflake' ? 14 : 10);
    for (const text of leftOver) {
      expect(text).not.toMatch(/canary|drop|--|`|Größe|\\/i);
    }
  });
});

describe("Warehouse SQL on snowflake: a name holding a procedure body's own delimiter", () => {
  it("puts the body in a string literal when a name holds '$$', so the name cannot end the body and become SQL", () => {
    // Prepare
    const description = describeTable(manifest('s.t', ['id', 'x$$; drop table canary; $$', 'a', 'b', 'c', 'updated_at']));

    // Act
    const procedure = createProcessProcedureSql(description, 'ANALYTICS');

    // Assess: https://docs.snowflake.com/en/sql-reference/sql/create-procedure takes ' or $$ around the body
    expect(procedure).toMatch(/\nas\n'declare\n/);
    expect(outsideQuotes(procedure)).not.toMatch(/canary|drop|\$\$/i);
    expect(outsideQuotes(createProcessTableProcedureSql([describeTable(manifest('x$$; drop table canary; $$', ['id', 'a', 'b', 'c', 'd', 'updated_at']))], 'ANALYTICS'))).not.toMatch(/canary|drop/i);
  });
});
