import pg from 'pg';

import type { SourceConfig } from '../config/index.js';
import type { CatalogColumn, CatalogTable, DiscoveredTable, DiscoverOptions } from './discovered-table.js';
import { sourceError } from './source-error.js';
import { describeTable } from './suggestions.js';

/**
 * Base tables (ordinary and partitioned, not the partitions themselves) in every
 * schema but the system ones (`pg_*`, `information_schema`), or in `$1` alone.
 */
export const POSTGRES_TABLES_SQL = `select n.nspname as schema_name, c.relname as table_name, c.oid::int8::text as table_oid
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition
  and (($1::text is null and n.nspname <> 'information_schema' and n.nspname !~ '^pg_') or n.nspname = $1::text)
order by n.nspname, c.relname`;

/** Columns of those tables in table order, with their base type (through domains) and their primary-key position. */
export const POSTGRES_COLUMNS_SQL = `select c.oid::int8::text as table_oid, a.attname as column_name, a.attnotnull as not_null,
  bt.typname as type_name, array_position(pk.conkey, a.attnum) as key_position
from pg_catalog.pg_class c
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_catalog.pg_type t on t.oid = a.atttypid
join pg_catalog.pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
left join pg_catalog.pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
where c.oid = any($1::oid[])
order by c.oid, a.attnum`;

const KINDS: Record<string, CatalogColumn['kind']> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
};

interface TableRow {
  schema_name: string;
  table_name: string;
  table_oid: string;
}
interface ColumnRow {
  table_oid: string;
  column_name: string;
  not_null: boolean;
  type_name: string;
  key_position: number | null;
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
    const columns = await client.query<ColumnRow>(POSTGRES_COLUMNS_SQL, [tables.rows.map((row) => row.table_oid)]);
    return tables.rows.map((row) => {
      const own = columns.rows.filter((column) => column.table_oid === row.table_oid);
      const catalogTable: CatalogTable = {
        schema: row.schema_name,
        table: row.table_name,
        columns: own.map((column) => ({ name: column.column_name, kind: KINDS[column.type_name] ?? 'other', notNull: column.not_null })),
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
