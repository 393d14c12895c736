import pg from 'pg';

import type { SourceConfig } from '../config/index.js';
import type { CatalogColumn, CatalogTable, DiscoveredTable, DiscoverOptions } from './discovered-table.js';
import { sourceError } from './source-error.js';
import { describeTable } from './suggestions.js';

/**
 * Base tables (ordinary and partitioned, not the partitions themselves) in every
 * schema but the system ones (`pg_*`, `information_schema`), or in `$1` alone.
 */
export const POSTGRES_TABLES_SQL = `select n.nspname as schema_name, c.relname as table_name, c.oid::int8::text as table_oid,
  leaves.estimated_rows, leaves.never_analyzed, leaves.estimated_bytes
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
-- A partitioned table's estimates are its leaf partitions'; an ordinary table's are its own.
cross join lateral (
  select sum(greatest(leaf.reltuples, 0))::float8 as estimated_rows, bool_and(leaf.reltuples < 0) as never_analyzed,
    sum(pg_catalog.pg_table_size(leaf.oid))::float8 as estimated_bytes
  from pg_catalog.pg_class leaf
  where leaf.oid = c.oid and c.relkind = 'r'
     or leaf.oid in (select tree.relid from pg_catalog.pg_partition_tree(c.oid) tree where tree.isleaf and c.relkind = 'p')
) leaves
where c.relkind in ('r', 'p') and not c.relispartition
  and (($1::text is null and n.nspname <> 'information_schema' and n.nspname !~ '^pg_') or n.nspname = $1::text)
order by n.nspname, c.relname`;

/**
 * Columns of those tables in table order, with their base type (through domains), their
 * primary-key position, and whether an index leads with them.
 */
export const POSTGRES_COLUMNS_SQL = `select c.oid::int8::text as table_oid, a.attname as column_name, a.attnotnull as not_null,
  bt.typname as type_name, array_position(pk.conkey, a.attnum) as key_position,
  exists (select 1 from pg_catalog.pg_index i where i.indrelid = c.oid and i.indkey[0] = a.attnum) as indexed,
  case when a.attgenerated = '' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end as default_expression
from pg_catalog.pg_class c
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_catalog.pg_type t on t.oid = a.atttypid
join pg_catalog.pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
left join pg_catalog.pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
left join pg_catalog.pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
where c.oid = any($1::oid[])
order by c.oid, a.attnum`;

/**
 * Unique indexes of those tables (unique constraints included) other than the primary key: valid,
 * not partial, on plain columns only (an expression's attnum is 0), their key columns in order
 * (INCLUDE columns after indnkeyatts left out).
 * @see https://www.postgresql.org/docs/current/catalog-pg-index.html
 */
export const POSTGRES_UNIQUE_INDEXES_SQL = `select i.indrelid::int8::text as table_oid, ci.relname::text as index_name,
  array_agg(a.attname::text order by k.ord) as columns
from pg_catalog.pg_index i
join pg_catalog.pg_class ci on ci.oid = i.indexrelid
cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
left join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
where i.indrelid = any($1::oid[]) and i.indisunique and not i.indisprimary and i.indisvalid and i.indpred is null
  and k.ord <= i.indnkeyatts
group by i.indrelid, ci.relname
having bool_and(k.attnum > 0)
order by 1, 2`;

/**
 * Defaults that stamp a row with the database's clock when it is inserted. Only the function's name
 * reaches the comment floe discover prints: a default's text may hold anything, a newline included.
 */
const CLOCK_DEFAULT = /\b(now|clock_timestamp|statement_timestamp|transaction_timestamp)\(\)|\b(current_timestamp|localtimestamp|current_date)\b/i;

function insertStamp(defaultExpression: string | null): string | null {
  const match = defaultExpression === null ? null : CLOCK_DEFAULT.exec(defaultExpression);
  if (match === null) return null;
  return `stamped on insert by its default ${match[1] === undefined ? (match[2] ?? '').toUpperCase() : `${match[1].toLowerCase()}()`}`;
}

/**
 * BEFORE UPDATE row triggers of those tables (tgtype bits: row 1, before 2, update 16) and their
 * functions' source, where an assignment to `NEW.<column>` is how a trigger maintains a column.
 * @see https://www.postgresql.org/docs/current/catalog-pg-trigger.html
 */
export const POSTGRES_UPDATE_TRIGGERS_SQL = `select t.tgrelid::int8::text as table_oid, t.tgname as trigger_name, p.prosrc as source
from pg_catalog.pg_trigger t
join pg_catalog.pg_proc p on p.oid = t.tgfoid
where t.tgrelid = any($1::oid[]) and not t.tgisinternal and t.tgenabled <> 'D'
  and (t.tgtype::int & 1) <> 0 and (t.tgtype::int & 2) <> 0 and (t.tgtype::int & 16) <> 0`;

const KINDS: Record<string, CatalogColumn['kind']> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
  date: 'date',
};

/** The first trigger whose function assigns `NEW.<column>` (quoted or not, any case), or null. */
function triggerSetting(column: string, triggers: readonly TriggerRow[]): string | null {
  const name = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const quoted = column.replaceAll('"', '""').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const assigns = new RegExp(`\\bnew\\s*\\.\\s*(${name}|"${quoted}")\\s*:?=`, 'i');
  const found = triggers.find((trigger) => assigns.test(trigger.source));
  return found === undefined ? null : `set by trigger ${found.trigger_name} on update`;
}

interface TableRow {
  schema_name: string;
  table_name: string;
  table_oid: string;
  estimated_rows: number | null;
  never_analyzed: boolean | null;
  estimated_bytes: number | null;
}
interface TriggerRow {
  table_oid: string;
  trigger_name: string;
  source: string;
}
interface ColumnRow {
  table_oid: string;
  column_name: string;
  not_null: boolean;
  type_name: string;
  key_position: number | null;
  indexed: boolean;
  default_expression: string | null;
}
interface UniqueIndexRow {
  table_oid: string;
  index_name: string;
  columns: string[];
}

/** Reads the catalog of a PostgreSQL source; names come out schema-qualified (`schema.table`). */
export async function discoverPostgres(source: SourceConfig, options: DiscoverOptions = {}): Promise<DiscoveredTable[]> {
  const client = new pg.Client({ connectionString: source.connection, connectionTimeoutMillis: 10_000, application_name: 'floe discover' });
  client.on('error', () => undefined); // A dropped connection surfaces as the failed query below.
  try {
    await client.connect();
  } catch (error) {
    throw sourceError(source, 'connecting to PostgreSQL', error);
  }
  try {
    const tables = await client.query<TableRow>(POSTGRES_TABLES_SQL, [options.schema ?? null]);
    const oids = tables.rows.map((row) => row.table_oid);
    const columns = await client.query<ColumnRow>(POSTGRES_COLUMNS_SQL, [oids]);
    const triggers = await client.query<TriggerRow>(POSTGRES_UPDATE_TRIGGERS_SQL, [oids]);
    const uniqueIndexes = await client.query<UniqueIndexRow>(POSTGRES_UNIQUE_INDEXES_SQL, [oids]);
    return tables.rows.map((row) => {
      const own = columns.rows.filter((column) => column.table_oid === row.table_oid);
      const ownTriggers = triggers.rows.filter((trigger) => trigger.table_oid === row.table_oid);
      const catalogTable: CatalogTable = {
        schema: row.schema_name,
        table: row.table_name,
        columns: own.map((column) => ({
          name: column.column_name, kind: KINDS[column.type_name] ?? 'other', notNull: column.not_null,
          setOnUpdate: triggerSetting(column.column_name, ownTriggers), setOnInsert: insertStamp(column.default_expression), indexed: column.indexed,
        })),
        uniqueIndexes: uniqueIndexes.rows.filter((index) => index.table_oid === row.table_oid).map((index) => ({ name: index.index_name, columns: index.columns })),
        // A table never analyzed has no estimate (reltuples -1); its size is still known.
        estimatedRows: row.never_analyzed === true || row.estimated_rows === null ? null : Math.round(row.estimated_rows),
        estimatedBytes: row.estimated_bytes === null ? null : Math.round(row.estimated_bytes),
        primaryKey: own
          .filter((column) => column.key_position !== null)
          .sort((a, b) => (a.key_position ?? 0) - (b.key_position ?? 0))
          .map((column) => column.column_name),
      };
      return describeTable(catalogTable, `${row.schema_name}.${row.table_name}`);
    });
  } catch (error) {
    throw sourceError(source, 'reading the PostgreSQL catalog', error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
