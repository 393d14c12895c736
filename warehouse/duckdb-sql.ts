import { WAREHOUSE_SCHEMAS } from './naming.js';
import { quoteIdentifier as q, quoteQualifiedName, type QualifiedName } from './quote.js';
import type { ColumnDescription, TableDescription } from './table-description.js';

/**
 * DuckDB SQL generated from a TableDescription. Pure: text and bound values in,
 * nothing run. A Snowflake generator mirrors these functions one for one.
 *
 * Identifiers go through `quoteIdentifier`; values are `$n` parameters.
 */

/** A statement and the values for its `$1, $2, …` placeholders. */
export interface BoundSql {
  readonly sql: string;
  readonly params: readonly (string | number | bigint | boolean | null)[];
}

/** The bookkeeping table that makes raw loads idempotent: one row per loaded file. */
export const LOADED_FILES_TABLE: QualifiedName = { schema: WAREHOUSE_SCHEMAS.floe, name: 'loaded_files' };

/** One Parquet file of a run: where DuckDB reads it, and its path as the manifest names it. */
export interface RawFile {
  readonly location: string;
  readonly path: string;
}

const RUN_ID = q('_floe_run_id');
const FILE = q('_floe_file');
const EXTRACTED_AT = q('_floe_extracted_at');
const ROW = q('_floe_row');

const columnList = (names: readonly string[], prefix = ''): string => names.map((name) => `${prefix}${q(name)}`).join(', ');
const columnNames = (description: TableDescription): string[] => description.columns.map((column) => column.name);
const columnDefinition = (column: ColumnDescription): string => `${q(column.name)} ${column.warehouseType}`;

export function createSchemasSql(): string[] {
  return Object.values(WAREHOUSE_SCHEMAS).map((schema) => `create schema if not exists ${q(schema)}`);
}

export function createLoadedFilesTableSql(): string {
  return [
    `create table if not exists ${quoteQualifiedName(LOADED_FILES_TABLE)} (`,
    '  "raw_table" VARCHAR not null,',
    '  "file_path" VARCHAR not null,',
    '  "run_id" VARCHAR not null,',
    '  "row_count" BIGINT not null,',
    '  "loaded_at" TIMESTAMPTZ not null default current_timestamp,',
    '  primary key ("raw_table", "file_path")',
    ')',
  ].join('\n');
}

/** Raw: the extracted columns, all nullable (raw keeps what arrived), plus load metadata. */
export function createRawTableSql(description: TableDescription): string {
  const lines = [
    ...description.columns.map(columnDefinition),
    `${RUN_ID} VARCHAR not null`,
    `${FILE} VARCHAR not null`,
    `${EXTRACTED_AT} TIMESTAMPTZ not null`,
    `${ROW} BIGINT not null`,
  ];
  return `create table if not exists ${quoteQualifiedName(description.rawTable)} (\n  ${lines.join(',\n  ')}\n)`;
}

/** Staging: the extracted columns, the run and time of each row's version, and the primary key. */
export function createStagingTableSql(description: TableDescription): string {
  const lines = [
    ...description.columns.map(columnDefinition),
    `${RUN_ID} VARCHAR not null`,
    `${EXTRACTED_AT} TIMESTAMPTZ not null`,
  ];
  // No primary key constraint: every write path keeps one row per key by construction (deduped
  // runs, MERGE on the key), and DuckDB's index would cost a third of a first load's time.
  return `create table if not exists ${quoteQualifiedName(description.stagingTable)} (\n  ${lines.join(',\n  ')}\n)`;
}

/** Schema evolution: a column the source gained. Existing rows read NULL. */
export function addColumnSql(table: QualifiedName, column: ColumnDescription): string {
  return `alter table ${quoteQualifiedName(table)} add column ${columnDefinition(column)}`;
}

/** The columns a table has now, to compare with a description. $1 schema, $2 table. */
export function tableColumnsSql(table: QualifiedName): BoundSql {
  return {
    sql: 'select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
    params: [table.schema, table.name],
  };
}

/**
 * Appends the given Parquet files to raw. `union_by_name` lines files up by
 * column name; `_floe_row` is the row's position in its file.
 * $1 run id, $2 extraction time, then each file's location and manifest path.
 */
export function insertRawSql(description: TableDescription, runId: string, extractedAt: string, files: readonly RawFile[]): BoundSql {
  const names = columnNames(description);
  const locations = files.map((_, index) => `$${3 + 2 * index}`);
  const pairs = files.map((_, index) => `($${3 + 2 * index}, $${4 + 2 * index})`);
  const sql = [
    `insert into ${quoteQualifiedName(description.rawTable)} (${columnList(names)}, ${RUN_ID}, ${FILE}, ${EXTRACTED_AT}, ${ROW})`,
    'select',
    ...names.map((name) => `  parquet.${q(name)},`),
    '  $1,',
    '  files.path,',
    '  cast($2 as TIMESTAMPTZ),',
    '  parquet.file_row_number',
    `from read_parquet([${locations.join(', ')}], union_by_name = true, filename = '_floe_location', file_row_number = true) as parquet`,
    `join (values ${pairs.join(', ')}) as files (location, path) on parquet._floe_location = files.location`,
  ].join('\n');
  return { sql, params: [runId, extractedAt, ...files.flatMap((file) => [file.location, file.path])] };
}

/** Rows in raw per file of a run, to check against the manifest. $1 run id. */
export function countRawRowsPerFileSql(description: TableDescription, runId: string): BoundSql {
  return {
    sql: `select ${FILE} as file_path, count(*) as row_count from ${quoteQualifiedName(description.rawTable)} where ${RUN_ID} = $1 group by ${FILE}`,
    params: [runId],
  };
}

/**
 * One row per primary key from a run's raw rows: the newest by incremental
 * column, then extraction time, then position in the file. $1 run id.
 */
/**
 * Whether a run holds each key once (it does unless the source's key is not unique), so the
 * window that picks one version per key can be skipped. $1 run id.
 */
export function runKeysAreUniqueSql(description: TableDescription, runId: string): BoundSql {
  const keys = columnList(description.primaryKey);
  const raw = quoteQualifiedName(description.rawTable);
  const sql = [
    `select (select count(*) from ${raw} where ${RUN_ID} = $1)`,
    `     = (select count(*) from (select distinct ${keys} from ${raw} where ${RUN_ID} = $1)) as "unique"`,
  ].join('\n');
  return { sql, params: [runId] };
}

export function dedupedRunRowsSql(description: TableDescription, keysUnique = false): string {
  const order = [
    ...(description.incrementalColumn === null ? [] : [`${q(description.incrementalColumn)} desc nulls last`]),
    `${EXTRACTED_AT} desc`,
    `${ROW} desc`,
    `${FILE} desc`,
  ];
  return [
    `select ${columnList(columnNames(description))}, ${RUN_ID}, ${EXTRACTED_AT}`,
    `from ${quoteQualifiedName(description.rawTable)}`,
    `where ${RUN_ID} = $1`,
    ...(keysUnique ? [] : [`qualify row_number() over (partition by ${columnList(description.primaryKey)} order by ${order.join(', ')}) = 1`]),
  ].join('\n');
}

/** The incoming row is not older than the staged one: incremental column first (NULL oldest), then extraction time. */
function notOlderCondition(description: TableDescription): string {
  const time = `incoming.${EXTRACTED_AT} >= staged.${EXTRACTED_AT}`;
  if (description.incrementalColumn === null) return time;
  const column = q(description.incrementalColumn);
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
 * leaves it alone. Key columns are never updated. $1 run id.
 */
export function mergeStagingSql(description: TableDescription, runId: string, keysUnique = false): BoundSql {
  const names = columnNames(description);
  const keys = new Set(description.primaryKey);
  const updates = [...names.filter((name) => !keys.has(name)), '_floe_run_id', '_floe_extracted_at'].map(
    (name) => `  ${q(name)} = incoming.${q(name)}`,
  );
  const insertColumns = [...names, '_floe_run_id', '_floe_extracted_at'];
  const sql = [
    `merge into ${quoteQualifiedName(description.stagingTable)} as staged`,
    'using (',
    ...dedupedRunRowsSql(description, keysUnique).split('\n').map((line) => `  ${line}`),
    ') as incoming',
    `on ${description.primaryKey.map((key) => `staged.${q(key)} = incoming.${q(key)}`).join(' and ')}`,
    `when matched and staged.${RUN_ID} <> incoming.${RUN_ID} and (`,
    `    ${notOlderCondition(description)}`,
    ') then update set',
    updates.join(',\n'),
    `when not matched then insert (${columnList(insertColumns)})`,
    `  values (${columnList(insertColumns, 'incoming.')})`,
  ].join('\n');
  return { sql, params: [runId] };
}

/**
 * Full mode, counted before replacing: keys only in the run (inserted), in
 * both (updated), only in staging (deleted: gone from the source). $1 run id.
 */
export function compareSnapshotSql(description: TableDescription, runId: string): BoundSql {
  const keys = columnList(description.primaryKey);
  const sql = [
    'with incoming as (',
    `  select distinct ${keys}, true as present from ${quoteQualifiedName(description.rawTable)} where ${RUN_ID} = $1`,
    '), staged as (',
    `  select ${keys}, true as present from ${quoteQualifiedName(description.stagingTable)}`,
    ')',
    'select',
    '  count(*) filter (where staged.present is null) as inserted,',
    '  count(*) filter (where staged.present and incoming.present) as updated,',
    '  count(*) filter (where incoming.present is null) as deleted',
    'from incoming',
    `full outer join staged on ${description.primaryKey.map((key) => `incoming.${q(key)} = staged.${q(key)}`).join(' and ')}`,
  ].join('\n');
  return { sql, params: [runId] };
}

/**
 * Full mode: staging becomes exactly the run's deduped rows. The caller runs
 * these statements inside one transaction, so readers see the old or the new
 * snapshot, never a mix. $1 run id.
 */
/** Appends a run's rows, one per key, to staging: the whole of a first load, where MERGE would only cost more. $1 run id. */
export function insertRunRowsSql(description: TableDescription, runId: string, keysUnique = false): BoundSql {
  const insertColumns = [...columnNames(description), '_floe_run_id', '_floe_extracted_at'];
  return {
    sql: `insert into ${quoteQualifiedName(description.stagingTable)} (${columnList(insertColumns)})\n${dedupedRunRowsSql(description, keysUnique)}`,
    params: [runId],
  };
}

export function replaceStagingSql(description: TableDescription, runId: string, keysUnique = false): BoundSql[] {
  return [
    { sql: `delete from ${quoteQualifiedName(description.stagingTable)}`, params: [] },
    insertRunRowsSql(description, runId, keysUnique),
  ];
}

/** A gold model: the SELECT in `sql/gold/<name>.sql` materialised as `gold."<name>"`. */
export function createGoldTableSql(name: string, select: string): string {
  return `create or replace table ${quoteQualifiedName({ schema: WAREHOUSE_SCHEMAS.gold, name })} as\n${select}`;
}
