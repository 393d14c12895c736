import type { QualifiedName } from './quote.js';
import type { SqlDialect } from './sql-dialect.js';
import type { ColumnDescription, TableDescription } from './table-description.js';

/**
 * The raw and staging SQL both warehouses run, generated from a
 * TableDescription for a dialect. Pure: text and bound values in, nothing run.
 *
 * Identifiers go through the dialect's quoting; values are `$n` parameters
 * (the Snowflake adapter rewrites them to its own placeholders).
 */

/** A statement and the values for its `$1, $2, …` placeholders. */
export interface BoundSql {
  readonly sql: string;
  readonly params: readonly (string | number | bigint | boolean | null)[];
}

/** floe's load metadata columns. */
export const META = { runId: '_floe_run_id', file: '_floe_file', extractedAt: '_floe_extracted_at', row: '_floe_row' } as const;

/**
 * Staging's soft-delete column (tables with `deletes: detect`): when floe noticed the row was gone
 * from the source; NULL for a live row. Only staging has it, and only for those tables.
 */
export const DELETED_AT = '_floe_deleted_at';

const columnNames = (description: TableDescription): string[] => description.columns.map((column) => column.name);

/** The SQL pieces every statement below builds on, for one dialect. */
function pieces(dialect: SqlDialect) {
  const q = dialect.identifier;
  return {
    q,
    runId: q(META.runId),
    file: q(META.file),
    extractedAt: q(META.extractedAt),
    row: q(META.row),
    list: (names: readonly string[], prefix = ''): string => names.map((name) => `${prefix}${q(name)}`).join(', '),
    definition: (column: ColumnDescription, layer: 'raw' | 'staging'): string => `${q(column.name)} ${dialect.columnType(column, layer)}`,
  };
}

/** Raw: the extracted columns, all nullable (raw keeps what arrived), plus load metadata. */
export function createRawTableSql(dialect: SqlDialect, description: TableDescription): string {
  const p = pieces(dialect);
  const notNull = dialect.metadataStampedAfterLoad ? '' : ' not null';
  const lines = [
    ...description.columns.map((column) => p.definition(column, 'raw')),
    `${p.runId} ${dialect.textType}${notNull}`,
    `${p.file} ${dialect.textType}${notNull}`,
    `${p.extractedAt} ${dialect.timestampTzType}${notNull}`,
    // Without file row numbers (see snowflake-copy.ts) a row has none, so Snowflake allows NULL here.
    `${p.row} ${dialect.bigintType}${notNull}`,
  ];
  return `create table if not exists ${dialect.qualified(description.rawTable)} (\n  ${lines.join(',\n  ')}\n)`;
}

/** Staging: the extracted columns, the run and time of each row's version. */
export function createStagingTableSql(dialect: SqlDialect, description: TableDescription): string {
  const p = pieces(dialect);
  const lines = [
    ...description.columns.map((column) => p.definition(column, 'staging')),
    `${p.runId} ${dialect.textType} not null`,
    `${p.extractedAt} ${dialect.timestampTzType} not null`,
    ...(description.softDelete === true ? [deletedAtColumn(dialect)] : []),
  ];
  // No primary key constraint: every write path keeps one row per key by construction (deduped
  // runs, merged on the key), and DuckDB's index would cost a third of a first load's time.
  return `create table if not exists ${dialect.qualified(description.stagingTable)} (\n  ${lines.join(',\n  ')}\n)`;
}

function deletedAtColumn(dialect: SqlDialect): string {
  return `${dialect.identifier(DELETED_AT)} ${dialect.timestampTzType}`;
}

/** A staging table made before its table had `deletes: detect` gains the soft-delete column; existing rows read NULL (live). */
export function addDeletedAtColumnSql(dialect: SqlDialect, description: TableDescription): string {
  return `alter table ${dialect.qualified(description.stagingTable)} add column ${deletedAtColumn(dialect)}`;
}

/**
 * Delete detection: the staging rows of keys found gone from the source (`keys`: one value per
 * primary-key column, as text each column's staging type reads). `mark` stamps `_floe_deleted_at`
 * on live rows only, so marking again changes nothing and the first time noticed stays; `remove`
 * deletes them. Either is one statement. $1 the time noticed (mark only), then the key values.
 */
export function applyDetectedDeletesSql(
  dialect: SqlDialect,
  description: TableDescription,
  keys: readonly (readonly string[])[],
  how: 'mark' | 'remove',
  noticedAt: string,
): BoundSql {
  const p = pieces(dialect);
  const params: string[] = how === 'mark' ? [noticedAt] : [];
  const keyColumns = description.primaryKey.map((name) => {
    const column = description.columns.find((c) => c.name === name);
    if (!column) throw new Error(`primary key column ${name} is not a column of ${description.table}`);
    return column;
  });
  const value = (column: ColumnDescription, text: string): string => {
    params.push(text);
    return `cast($${params.length} as ${dialect.columnType(column, 'staging')})`;
  };
  const match =
    keyColumns.length === 1
      ? `${p.q(keyColumns[0]!.name)} in (${keys.map((key) => value(keyColumns[0]!, key[0] ?? '')).join(', ')})`
      : keys.map((key) => `(${keyColumns.map((column, index) => `${p.q(column.name)} = ${value(column, key[index] ?? '')}`).join(' and ')})`).join('\n   or ');
  const staging = dialect.qualified(description.stagingTable);
  const deletedAt = p.q(DELETED_AT);
  const sql =
    how === 'mark'
      ? `update ${staging} set ${deletedAt} = cast($1 as ${dialect.timestampTzType})\nwhere ${deletedAt} is null and (${match})`
      : `delete from ${staging}\nwhere ${match}`;
  return { sql, params };
}

/** Schema evolution: a column the source gained. Existing rows read NULL. */
export function addColumnSql(dialect: SqlDialect, table: QualifiedName, column: ColumnDescription, layer: 'raw' | 'staging'): string {
  return `alter table ${dialect.qualified(table)} add column ${pieces(dialect).definition(column, layer)}`;
}

/**
 * Schema evolution: a column widened at the source (see schema-evolution.ts). Both warehouses
 * take this spelling; the dialect says beforehand whether it can (`canAlterType`).
 */
export function alterColumnTypeSql(dialect: SqlDialect, table: QualifiedName, column: ColumnDescription, layer: 'raw' | 'staging'): string {
  return `alter table ${dialect.qualified(table)} alter column ${dialect.identifier(column.name)} set data type ${dialect.columnType(column, layer)}`;
}

/** Rows in raw per file of a run, to check against the manifest. $1 run id. */
export function countRawRowsPerFileSql(dialect: SqlDialect, description: TableDescription, runId: string): BoundSql {
  const p = pieces(dialect);
  return {
    sql: `select ${p.file} as file_path, count(*) as row_count from ${dialect.qualified(description.rawTable)} where ${p.runId} = $1 group by ${p.file}`,
    params: [runId],
  };
}

/**
 * Whether a run holds each key once (it does unless the source's key is not unique), so the
 * window that picks one version per key can be skipped. $1 run id.
 */
export function runKeysAreUniqueSql(dialect: SqlDialect, description: TableDescription, runId: string): BoundSql {
  const p = pieces(dialect);
  const keys = p.list(description.primaryKey);
  const raw = dialect.qualified(description.rawTable);
  const sql = [
    `select (select count(*) from ${raw} where ${p.runId} = $1)`,
    `     = (select count(*) from (select distinct ${keys} from ${raw} where ${p.runId} = $1)) as "unique"`,
  ].join('\n');
  return { sql, params: [runId] };
}

/**
 * One row per primary key from a run's raw rows: the newest by incremental
 * column, then extraction time, then position in the file. A table without a key keeps every
 * row of the run, duplicates included: its staging is a multiset. $1 run id.
 */
export function dedupedRunRowsSql(dialect: SqlDialect, description: TableDescription, keysUnique = false): string {
  const p = pieces(dialect);
  const order = [
    ...(description.incrementalColumn === null ? [] : [`${p.q(description.incrementalColumn)} desc nulls last`]),
    `${p.extractedAt} desc`,
    `${p.row} desc`,
    `${p.file} desc`,
  ];
  const values = description.columns.map((column) => {
    const value = dialect.stagingValue(column, p.q(column.name));
    return value === p.q(column.name) ? value : `${value} as ${p.q(column.name)}`;
  });
  return [
    `select ${values.join(', ')}, ${p.runId}, ${p.extractedAt}`,
    `from ${dialect.qualified(description.rawTable)}`,
    `where ${p.runId} = $1`,
    ...(keysUnique || description.primaryKey.length === 0 ? [] : [`qualify row_number() over (partition by ${p.list(description.primaryKey)} order by ${order.join(', ')}) = 1`]),
  ].join('\n');
}

/** The incoming row is not older than the staged one: incremental column first (NULL oldest), then extraction time. */
function notOlderCondition(dialect: SqlDialect, description: TableDescription): string {
  const p = pieces(dialect);
  const time = `incoming.${p.extractedAt} >= staged.${p.extractedAt}`;
  if (description.incrementalColumn === null) return time;
  const column = p.q(description.incrementalColumn);
  return [
    `incoming.${column} > staged.${column}`,
    `    or (staged.${column} is null and incoming.${column} is not null)`,
    `    or (incoming.${column} is not distinct from staged.${column} and ${time})`,
  ].join('\n');
}

/**
 * Incremental mode: MERGE a run's deduped rows into staging. A matched row is
 * updated only when the incoming version is not older, so a late, older
 * version never overwrites a newer one; re-merging the run that wrote a row
 * leaves it alone. Key columns are never updated; `droppedColumns` (staging
 * columns the run lacks, schema-ddl.ts `droppedColumnsOf`) are set NULL in the rows updated. $1 run id.
 */
export function mergeStagingSql(
  dialect: SqlDialect,
  description: TableDescription,
  runId: string,
  keysUnique = false,
  droppedColumns: readonly string[] = [],
): BoundSql {
  const p = pieces(dialect);
  const names = columnNames(description);
  const keys = new Set(description.primaryKey);
  const updates = [
    ...[...names.filter((name) => !keys.has(name)), META.runId, META.extractedAt].map((name) => `  ${p.q(name)} = incoming.${p.q(name)}`),
    // Staging columns the run lacks (dropped at the source, a soft-delete mark no longer kept): a row updated from now on has no value for them.
    ...droppedColumns.map((name) => `  ${p.q(name)} = null`),
    // A row arriving again exists at the source again: it is live, whatever was noticed before.
    ...(description.softDelete === true ? [`  ${p.q(DELETED_AT)} = null`] : []),
  ];
  const insertColumns = [...names, META.runId, META.extractedAt];
  const sql = [
    `merge into ${dialect.qualified(description.stagingTable)} as staged`,
    'using (',
    ...dedupedRunRowsSql(dialect, description, keysUnique).split('\n').map((line) => `  ${line}`),
    ') as incoming',
    `on ${description.primaryKey.map((key) => `staged.${p.q(key)} = incoming.${p.q(key)}`).join(' and ')}`,
    `when matched and staged.${p.runId} <> incoming.${p.runId} and (`,
    `    ${notOlderCondition(dialect, description)}`,
    ') then update set',
    updates.join(',\n'),
    `when not matched then insert (${p.list(insertColumns)})`,
    `  values (${p.list(insertColumns, 'incoming.')})`,
  ].join('\n');
  return { sql, params: [runId] };
}

/**
 * Incremental mode where the dialect upserts by `delete-and-insert`: what `mergeStagingSql` does, in
 * two statements the caller runs in one transaction. The DELETE removes the staged rows a run's row
 * supersedes (same key, another run, not older: MERGE's `when matched` condition), named by key and
 * run; the INSERT adds the run's rows whose key staging no longer holds: the superseded ones and the
 * new ones. A staged
 * row that is newer, or that this run wrote, stays, and its key keeps the run's row out. Columns
 * staging has and the run lacks (dropped at the source, the soft-delete mark) read NULL in the rows
 * inserted, as MERGE's update sets them. The DELETE's count is the rows updated; the INSERT's, less
 * the DELETE's, the rows added. $1 run id.
 */
export function mergeByDeleteAndInsertSql(dialect: SqlDialect, description: TableDescription, runId: string, keysUnique = false): readonly [BoundSql, BoundSql] {
  const p = pieces(dialect);
  const staging = dialect.qualified(description.stagingTable);
  const incoming = dedupedRunRowsSql(dialect, description, keysUnique).split('\n').map((line) => `  ${line}`);
  const sameKey = (staged: string) => description.primaryKey.map((key) => `${staged}.${p.q(key)} = incoming.${p.q(key)}`).join(' and ');
  const insertColumns = [...columnNames(description), META.runId, META.extractedAt];
  // The superseded rows are named by key and run and deleted by `in`: DuckDB ran DELETE … USING the
  // same join two to three times slower (0.24-0.30 s against 0.12 s for 1% of 3M rows). Where staging
  // holds a key twice from one run (a key given to a table that had none), every copy of that key and
  // run goes once one is superseded, and the run's row comes back alone.
  const superseded = [...description.primaryKey, META.runId];
  const remove = [
    `delete from ${staging}`,
    `where (${p.list(superseded)}) in (`,
    `  select ${p.list(superseded, 'staged.')}`,
    `  from ${staging} as staged`,
    '  join (',
    ...incoming.map((line) => `  ${line}`),
    '  ) as incoming',
    `  on ${sameKey('staged')}`,
    `  where staged.${p.runId} <> incoming.${p.runId}`,
    `    and (${notOlderCondition(dialect, description).replaceAll('\n', '\n  ')})`,
    ')',
  ].join('\n');
  const add = [
    `insert into ${staging} (${p.list(insertColumns)})`,
    `select ${p.list(insertColumns, 'incoming.')}`,
    'from (',
    ...incoming,
    ') as incoming',
    `where not exists (select 1 from ${staging} as staged where ${sameKey('staged')})`,
  ].join('\n');
  return [
    { sql: remove, params: [runId] },
    { sql: add, params: [runId] },
  ];
}

/**
 * Full mode, counted before replacing: keys only in the run (inserted), in
 * both (updated), only in staging (deleted: gone from the source). $1 run id.
 */
export function compareSnapshotSql(dialect: SqlDialect, description: TableDescription, runId: string): BoundSql {
  const p = pieces(dialect);
  const keys = p.list(description.primaryKey);
  const sql = [
    'with incoming as (',
    `  select distinct ${keys}, true as present from ${dialect.qualified(description.rawTable)} where ${p.runId} = $1`,
    '), staged as (',
    `  select ${keys}, true as present from ${dialect.qualified(description.stagingTable)}`,
    ')',
    'select',
    `  ${dialect.countWhere('staged.present is null')} as inserted,`,
    `  ${dialect.countWhere('staged.present and incoming.present')} as updated,`,
    `  ${dialect.countWhere('incoming.present is null')} as deleted`,
    'from incoming',
    `full outer join staged on ${description.primaryKey.map((key) => `incoming.${p.q(key)} = staged.${p.q(key)}`).join(' and ')}`,
  ].join('\n');
  return { sql, params: [runId] };
}

/** Appends a run's rows, one per key, to staging: the whole of a first load, where MERGE would only cost more. $1 run id. */
export function insertRunRowsSql(dialect: SqlDialect, description: TableDescription, runId: string, keysUnique = false): BoundSql {
  const insertColumns = [...columnNames(description), META.runId, META.extractedAt];
  return {
    sql: `insert into ${dialect.qualified(description.stagingTable)} (${pieces(dialect).list(insertColumns)})\n${dedupedRunRowsSql(dialect, description, keysUnique)}`,
    params: [runId],
  };
}

/**
 * Full mode: staging becomes exactly the run's deduped rows. The caller runs
 * these statements inside one transaction, so readers see the old or the new
 * snapshot, never a mix. $1 run id.
 */
export function replaceStagingSql(dialect: SqlDialect, description: TableDescription, runId: string, keysUnique = false): BoundSql[] {
  return [
    { sql: `delete from ${dialect.qualified(description.stagingTable)}`, params: [] },
    insertRunRowsSql(dialect, description, runId, keysUnique),
  ];
}

/**
 * Append (a table without a key, incremental): the staging rows a run restates. Runs of one table
 * read overlapping windows by design: the watermark stays behind open transactions, lookback reads
 * before it, and a run that died after its rows reached staging but before its watermark commit is
 * read again by the next. Each run's snapshot holds every row of its window that any earlier run
 * saw there (rows are only inserted), so staging's rows from the smallest incremental value the run
 * read on are exactly what the run brings again: they are replaced, not added twice. A first run
 * also reads the rows whose incremental column is NULL, and restates those. $1 run id.
 */
function restatedByRunSql(dialect: SqlDialect, description: TableDescription): string {
  const p = pieces(dialect);
  const incremental = description.incrementalColumn;
  if (incremental === null) throw new Error(`table ${description.table} has no incremental column to append by`);
  const column = p.q(incremental);
  const raw = `${dialect.qualified(description.rawTable)} as run_rows`;
  return [
    `${column} >= (select min(run_rows.${column}) from ${raw} where run_rows.${p.runId} = $1)`,
    `   or (${column} is null and exists (select 1 from ${raw} where run_rows.${p.runId} = $1 and run_rows.${column} is null))`,
  ].join('\n');
}

/**
 * A table without a key, counted before staging changes: rows only in the run (inserted) and only
 * in staging (deleted), as multisets (a row twice in the run and once in staging is one inserted),
 * over all of staging (`replace`) or the rows the run restates (`append`). Rows compare by a 64-bit
 * hash of their values, the same function on both warehouses: DuckDB's `hash`
 * (https://duckdb.org/docs/stable/sql/functions/utility, `hash(value, ...)`) and Snowflake's `HASH`
 * (https://docs.snowflake.com/en/sql-reference/functions/hash), each taking any number of values and
 * hashing NULL too. A collision could only miscount, never change what lands. `into`: Snowflake
 * Scripting variables to select the counts into. $1 run id.
 */
export function compareRowsSql(dialect: SqlDialect, description: TableDescription, runId: string, write: 'replace' | 'append', into?: readonly string[]): BoundSql {
  const p = pieces(dialect);
  const incoming = description.columns.map((column) => dialect.stagingValue(column, p.q(column.name)));
  const staged = description.columns.map((column) => p.q(column.name));
  const restated = write === 'append' ? ` where ${restatedByRunSql(dialect, description).replaceAll('\n', '\n  ')}` : '';
  const more = (side: string, other: string) => `case when ${side}.copies > coalesce(${other}.copies, 0) then ${side}.copies - coalesce(${other}.copies, 0) else 0 end`;
  const sql = [
    'with incoming as (',
    `  select row_hash, count(*) as copies from (select hash(${incoming.join(', ')}) as row_hash from ${dialect.qualified(description.rawTable)} where ${p.runId} = $1) as hashed group by row_hash`,
    '), staged as (',
    `  select row_hash, count(*) as copies from (select hash(${staged.join(', ')}) as row_hash from ${dialect.qualified(description.stagingTable)}${restated}) as hashed group by row_hash`,
    ')',
    'select',
    `  coalesce(sum(${more('incoming', 'staged')}), 0) as inserted,`,
    `  coalesce(sum(${more('staged', 'incoming')}), 0) as deleted`,
    ...(into === undefined ? [] : [`into ${into.map((name) => `:${name}`).join(', ')}`]),
    'from incoming',
    'full outer join staged on incoming.row_hash = staged.row_hash',
  ].join('\n');
  return { sql, params: [runId] };
}

/**
 * Append: the staging rows the run restates (see {@link restatedByRunSql}) give way to all of the
 * run's rows, duplicates kept. Applying a run twice leaves what applying it once left, so neither a
 * redelivered RawLanded nor a replay adds a row twice. The caller runs both statements in one
 * transaction, so a reader sees staging before or after the run, never between: DuckDB's
 * transactions are isolated snapshots (https://duckdb.org/docs/stable/sql/statements/transactions),
 * Snowflake's commit as one unit (https://docs.snowflake.com/en/sql-reference/transactions). The
 * DELETE's condition is a subquery on raw, which Snowflake's DELETE takes in its WHERE
 * (https://docs.snowflake.com/en/sql-reference/sql/delete). $1 run id.
 */
export function appendStagingSql(dialect: SqlDialect, description: TableDescription, runId: string): BoundSql[] {
  return [
    { sql: `delete from ${dialect.qualified(description.stagingTable)}\nwhere ${restatedByRunSql(dialect, description)}`, params: [runId] },
    insertRunRowsSql(dialect, description, runId),
  ];
}

/**
 * A gold model: the SELECT in `sql/gold/<name>.sql` materialised as `gold."<name>"`. Where the
 * warehouse has grants (`copiesGrants`), the rebuilt table keeps those others gave on it.
 */
export function createGoldTableSql(dialect: SqlDialect, goldSchema: string, name: string, select: string): string {
  return `create or replace table ${dialect.qualified({ schema: goldSchema, name })}${dialect.copiesGrants ? ' copy grants' : ''} as\n${select}`;
}
