import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import { replacePlaceholders } from './snowflake-binds.js';
import { snowflakeDialectIn } from './snowflake-dialect.js';
import { quoteSnowflakeString } from './snowflake-sql.js';
import * as sql from './table-sql.js';
import type { SqlDialect } from './sql-dialect.js';
import { stagingWriteOf, type TableDescription } from './table-description.js';

/**
 * Snowflake Scripting procedures: one per table performing its staging update,
 * and `FLOE.PROCESS_TABLE(table, run_id)` dispatching to it. Their statements
 * are the ones SnowflakeWarehouse runs from the client (`table-sql.ts`, same
 * functions, same dialect), with the run id read from the procedure's argument.
 *
 * They run with the caller's rights (`execute as caller`), so names resolve in the caller's
 * session (https://docs.snowflake.com/en/developer-guide/stored-procedure/stored-procedures-rights):
 * every name is qualified with floe's database, and a CALL from any database finds floe's tables.
 * Replacing one keeps the grants others gave on it: COPY GRANTS
 * (https://docs.snowflake.com/en/sql-reference/sql/create-procedure).
 */

/** The per-table procedure: `FLOE."PROCESS__<warehouse table>"` (`schema`: another, for `floe snowflake verify`). */
export function processProcedureFor(description: TableDescription, schema: string = WAREHOUSE_SCHEMAS.floe): QualifiedName {
  return { schema, name: `process__${description.stagingTable.name}` };
}

export const PROCESS_TABLE_PROCEDURE: QualifiedName = { schema: WAREHOUSE_SCHEMAS.floe, name: 'process_table' };

/** `$1` (the run id in the shared SQL) becomes the procedure's argument. */
const inProcedure = (statement: sql.BoundSql): string => `${replacePlaceholders(statement.sql, () => ':run_id')};`;

const indent = (text: string, spaces: number): string => text.split('\n').map((line) => `${' '.repeat(spaces)}${line}`).join('\n');

/**
 * The body between `$$`, as people read it; when a name in it holds `$$` (which would end the body
 * early), as a string literal instead, which Snowflake takes as well
 * (https://docs.snowflake.com/en/sql-reference/sql/create-procedure: "string literal delimiters
 * (' or $$)").
 */
function delimitedBody(body: string): string[] {
  return body.includes('$$') ? [quoteSnowflakeString(body)] : ['$$', body, '$$'];
}

/**
 * The procedure that moves one run from raw to staging: MERGE for incremental
 * tables, replace-in-one-transaction for full ones, and for a table without a key
 * replace or append (see table-sql.ts, `appendStagingSql`). Returns
 * `{inserted, updated, deleted}`, counted as SnowflakeWarehouse counts them.
 * `droppedColumns`: staging columns the run lacks (schema-ddl.ts `droppedColumnsOf`), set NULL in the rows a MERGE updates.
 */
export function createProcessProcedureSql(description: TableDescription, database: string, droppedColumns: readonly string[] = [], schema: string = WAREHOUSE_SCHEMAS.floe): string {
  const dialect = snowflakeDialectIn(database);
  const body = [
    'declare',
    '  rows_before number default 0;',
    '  inserted number default 0;',
    '  changed number default 0;',
    '  deleted number default 0;',
    'begin',
    '  begin transaction;',
    indent(bodyFor(dialect, description, droppedColumns), 2),
    // A failed statement must not leave the transaction open for the caller's session.
    'exception',
    '  when other then',
    '    rollback;',
    '    raise;',
    'end;',
  ].join('\n');
  return [
    `create or replace procedure ${dialect.qualified(processProcedureFor(description, schema))}(run_id varchar)`,
    'copy grants',
    'returns variant',
    'language sql',
    'execute as caller',
    'as',
    ...delimitedBody(body),
  ].join('\n');
}

function bodyFor(dialect: SqlDialect, description: TableDescription, droppedColumns: readonly string[]): string {
  switch (stagingWriteOf(description)) {
    case 'merge':
      return incrementalBody(dialect, description, droppedColumns);
    case 'replace':
      return description.primaryKey.length === 0 ? keylessBody(dialect, description, 'replace') : fullModeBody(dialect, description);
    case 'append':
      return keylessBody(dialect, description, 'append');
  }
}

/**
 * Staging is empty (a first load, or every earlier run read no rows): the run's rows are inserted and
 * counted by the insert, as SnowflakeWarehouse does, with no comparison against an empty table.
 * Leaves staging's row count in `rows_before` for what follows. SQLROWCOUNT is read right after its
 * DML statement: since the 2025_01 behavior change bundle (on by default) it is NULL once any other
 * statement has run (https://docs.snowflake.com/en/developer-guide/snowflake-scripting/dml-status).
 */
function emptyStagingInsert(dialect: SqlDialect, description: TableDescription): string {
  return [
    `select count(*) into :rows_before from ${dialect.qualified(description.stagingTable)};`,
    'if (rows_before = 0) then',
    indent(inProcedure(sql.insertRunRowsSql(dialect, description, '')), 2),
    '  inserted := SQLROWCOUNT;',
    '  commit;',
    "  return object_construct('inserted', inserted, 'updated', 0, 'deleted', 0);",
    'end if;',
  ].join('\n');
}

/** Incremental mode: a first load inserts the run; later ones MERGE it, newer versions winning. */
function incrementalBody(dialect: SqlDialect, description: TableDescription, droppedColumns: readonly string[]): string {
  const staging = dialect.qualified(description.stagingTable);
  return [
    emptyStagingInsert(dialect, description),
    inProcedure(sql.mergeStagingSql(dialect, description, '', false, droppedColumns)),
    'changed := SQLROWCOUNT;',
    `select count(*) - :rows_before into :inserted from ${staging};`,
    'commit;',
    "return object_construct('inserted', inserted, 'updated', changed - inserted, 'deleted', 0);",
  ].join('\n');
}

/** Full mode: into an empty staging an insert; else count by key first (into the variables), then replace staging. */
function fullModeBody(dialect: SqlDialect, description: TableDescription): string {
  const compare = sql.compareSnapshotSql(dialect, description, '').sql.replace(
    /\nselect\n([\s\S]*?)\nfrom incoming/,
    (_match, columns: string) => `\nselect\n${columns}\ninto :inserted, :changed, :deleted\nfrom incoming`,
  );
  return [
    emptyStagingInsert(dialect, description),
    inProcedure({ sql: compare, params: [] }),
    ...sql.replaceStagingSql(dialect, description, '').map(inProcedure),
    'commit;',
    "return object_construct('inserted', inserted, 'updated', changed, 'deleted', deleted);",
  ].join('\n');
}

/**
 * A table without a primary key: count the rows as multisets (into the variables), then replace
 * staging with the run's rows (`replace`), or the rows the run restates with them (`append`). Both
 * statements commit together: a reader never sees staging emptied or half-replaced, as Snowflake
 * applies a transaction's statements as one unit and shows other sessions only committed data
 * (https://docs.snowflake.com/en/sql-reference/transactions).
 */
function keylessBody(dialect: SqlDialect, description: TableDescription, write: 'replace' | 'append'): string {
  const statements = write === 'replace' ? sql.replaceStagingSql(dialect, description, '', true) : sql.appendStagingSql(dialect, description, '');
  return [
    ...(write === 'replace' ? [emptyStagingInsert(dialect, description)] : []),
    inProcedure(sql.compareRowsSql(dialect, description, '', write, ['inserted', 'deleted'])),
    ...statements.map(inProcedure),
    'commit;',
    "return object_construct('inserted', inserted, 'updated', 0, 'deleted', deleted);",
  ].join('\n');
}

/**
 * `FLOE.PROCESS_TABLE(table_name, run_id)`: calls the table's procedure.
 * `table_name` is the warehouse table name (`shop__orders`), compared without
 * case; it only selects among fixed names, so it never becomes SQL text.
 * With no table, the body only raises: a CASE needs at least one WHEN
 * (https://docs.snowflake.com/en/sql-reference/snowflake-scripting/case).
 */
export function createProcessTableProcedureSql(descriptions: readonly TableDescription[], database: string, schema: string = WAREHOUSE_SCHEMAS.floe): string {
  const dialect = snowflakeDialectIn(database);
  const branches = descriptions.map((description) =>
    [
      `    when ${quoteSnowflakeString(description.stagingTable.name.toLowerCase())} then`,
      `      call ${dialect.qualified(processProcedureFor(description, schema))}(:run_id);`,
    ].join('\n'),
  );
  const dispatch =
    branches.length === 0
      ? ['  raise unknown_table;']
      : [
          '  case (lower(table_name))',
          ...branches,
          '    else',
          '      raise unknown_table;',
          '  end case;',
          '  select $1 into :result from table(result_scan(last_query_id()));',
          '  return result;',
        ];
  const body = [
    'declare',
    `  unknown_table exception (-20001, 'floe: no procedure for this table; add it to the config and run floe snowflake apply');`,
    '  result variant;',
    'begin',
    ...dispatch,
    'end;',
  ].join('\n');
  return [
    `create or replace procedure ${dialect.qualified({ ...PROCESS_TABLE_PROCEDURE, schema })}(table_name varchar, run_id varchar)`,
    'copy grants',
    'returns variant',
    'language sql',
    'execute as caller',
    'as',
    ...delimitedBody(body),
  ].join('\n');
}

