import mysql from 'mysql2/promise';

import type { SourceConfig } from '../config/index.js';
import type { CatalogColumn, CatalogTable, DiscoveredTable } from './discovered-table.js';
import { sourceError } from './source-error.js';
import { describeTable } from './suggestions.js';

/** Base tables of the connection's database. Columns are aliased: MySQL 8 returns catalog names in upper case. */
export const MYSQL_TABLES_SQL = `select table_schema as schema_name, table_name as table_name,
  table_rows as estimated_rows, data_length as estimated_bytes
from information_schema.tables
where table_schema = database() and table_type = 'BASE TABLE'
order by table_name`;

/**
 * Columns of the connection's database in table order, with their primary-key position, what the
 * server does to them on update (`extra`: `on update CURRENT_TIMESTAMP`, MariaDB adding `()`), and
 * whether an index leads with them.
 * @see https://dev.mysql.com/doc/refman/8.0/en/information-schema-columns-table.html
 */
export const MYSQL_COLUMNS_SQL = `select c.table_name as table_name, c.column_name as column_name, c.is_nullable as is_nullable,
  c.data_type as data_type, k.ordinal_position as key_position, c.extra as extra, c.column_default as column_default,
  exists (select 1 from information_schema.statistics s where s.table_schema = c.table_schema and s.table_name = c.table_name
    and s.column_name = c.column_name and s.seq_in_index = 1) as indexed
from information_schema.columns c
left join information_schema.key_column_usage k
  on k.constraint_schema = c.table_schema and k.table_schema = c.table_schema and k.table_name = c.table_name
  and k.column_name = c.column_name and k.constraint_name = 'PRIMARY'
where c.table_schema = database()
order by c.table_name, c.ordinal_position`;

/**
 * Unique indexes of the connection's database other than the primary key, columns in index order;
 * a functional key part (MySQL 8) has no column name.
 * @see https://dev.mysql.com/doc/refman/8.0/en/information-schema-statistics-table.html
 */
export const MYSQL_UNIQUE_INDEXES_SQL = `select s.table_name as table_name, s.index_name as index_name, s.column_name as column_name
from information_schema.statistics s
where s.table_schema = database() and s.non_unique = 0 and s.index_name <> 'PRIMARY'
order by s.table_name, s.index_name, s.seq_in_index`;

/** A default of the clock: MySQL 8 lists `CURRENT_TIMESTAMP`, MariaDB `current_timestamp()`, either with a precision. */
const CLOCK_DEFAULT = /^(current_timestamp|now|localtimestamp|localtime)(\(\d*\))?$/i;

const KINDS: Record<string, CatalogColumn['kind']> = {
  tinyint: 'integer',
  smallint: 'integer',
  mediumint: 'integer',
  int: 'integer',
  integer: 'integer',
  bigint: 'integer',
  datetime: 'timestamp',
  timestamp: 'timestamp',
  date: 'date',
};

interface TableRow {
  schema_name: string;
  table_name: string;
  estimated_rows: number | string | null;
  estimated_bytes: number | string | null;
}
interface ColumnRow {
  table_name: string;
  column_name: string;
  is_nullable: string;
  data_type: string;
  key_position: number | null;
  extra: string | null;
  column_default: string | null;
  indexed: number;
}
interface UniqueIndexRow {
  table_name: string;
  index_name: string;
  column_name: string | null;
}

/** A table's unique indexes on plain columns, from the statistics rows in index order. */
function uniqueIndexesOf(table: string, rows: readonly UniqueIndexRow[]): { name: string; columns: string[] }[] {
  const indexes = new Map<string, (string | null)[]>();
  for (const row of rows.filter((r) => r.table_name === table)) indexes.set(row.index_name, [...(indexes.get(row.index_name) ?? []), row.column_name]);
  return [...indexes].flatMap(([name, columns]) => (columns.every((column) => column !== null) ? [{ name, columns: columns as string[] }] : []));
}

const number = (value: number | string | null): number | null => (value === null ? null : Number(value));

/** Reads the catalog of a MySQL/MariaDB source's database; names come out unqualified, as the config takes them (qualified when they hold a '.'). */
export async function discoverMysql(source: SourceConfig): Promise<DiscoveredTable[]> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({ uri: source.connection.replace(/^mariadb:/, 'mysql:'), connectTimeout: 10_000 });
  } catch (error) {
    throw sourceError(source, 'connecting to MySQL', error);
  }
  try {
    const [tables] = await connection.query<Array<TableRow & mysql.RowDataPacket>>(MYSQL_TABLES_SQL);
    const [columns] = await connection.query<Array<ColumnRow & mysql.RowDataPacket>>(MYSQL_COLUMNS_SQL);
    const [uniqueIndexes] = await connection.query<Array<UniqueIndexRow & mysql.RowDataPacket>>(MYSQL_UNIQUE_INDEXES_SQL);
    return tables.map((row) => {
      const own = columns.filter((column) => column.table_name === row.table_name);
      const catalogTable: CatalogTable = {
        schema: row.schema_name,
        table: row.table_name,
        columns: own.map((column) => ({
          name: column.column_name, kind: KINDS[column.data_type.toLowerCase()] ?? 'other', notNull: column.is_nullable === 'NO',
          setOnUpdate: /on update current_timestamp/i.test(column.extra ?? '') ? 'set ON UPDATE CURRENT_TIMESTAMP' : null,
          setOnInsert: CLOCK_DEFAULT.test(column.column_default ?? '') ? 'stamped on insert by its default CURRENT_TIMESTAMP' : null,
          indexed: Number(column.indexed) === 1,
        })),
        uniqueIndexes: uniqueIndexesOf(row.table_name, uniqueIndexes),
        estimatedRows: number(row.estimated_rows),
        estimatedBytes: number(row.estimated_bytes),
        primaryKey: own
          .filter((column) => column.key_position !== null)
          .sort((a, b) => Number(a.key_position) - Number(b.key_position))
          .map((column) => column.column_name),
      };
      // A '.' in the name would be read as `schema.table`: such a table is named with its database.
      return describeTable(catalogTable, row.table_name.includes('.') ? `${row.schema_name}.${row.table_name}` : row.table_name);
    });
  } catch (error) {
    throw sourceError(source, 'reading the MySQL catalog', error);
  } finally {
    await connection.end().catch(() => undefined);
  }
}
