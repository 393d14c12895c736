import mysql from 'mysql2/promise';
import pg from 'pg';

import type { FloeConfig, SourceConfig } from '../../config/index.js';
import type { ManifestSourceSize } from '../../events/index.js';
import type { TableSizer } from '../../pipeline/ports.js';
import type { SourceGate } from './source-gate.js';

/**
 * The catalog's estimate of a table, read from the source itself: locally the source is in reach,
 * so `engine: auto` decides each run by the estimate of the moment (on AWS, by what the table's
 * last run recorded: runtime/aws/recorded-sizer.ts). The same estimate the extraction job writes
 * into its manifest (glue/floe_extract/size_estimate.py): PostgreSQL's `reltuples` and table size
 * (a partitioned table's leaves), MySQL's `information_schema.tables`.
 */
export const POSTGRES_SIZE_SQL = `select sum(greatest(leaf.reltuples, 0))::float8 as estimated_rows,
  bool_and(leaf.reltuples < 0) as never_analyzed, sum(pg_catalog.pg_table_size(leaf.oid))::float8 as estimated_bytes
from pg_catalog.pg_class leaf
where (leaf.oid = pg_catalog.to_regclass($1) and leaf.relkind = 'r')
   or leaf.oid in (select tree.relid from pg_catalog.pg_partition_tree(pg_catalog.to_regclass($1)) tree where tree.isleaf)`;

export const MYSQL_SIZE_SQL = `select table_rows as estimated_rows, data_length as estimated_bytes
from information_schema.tables where table_schema = coalesce(?, database()) and table_name = ?`;

/** The longest a size estimate may take; past it the run starts without one (the Python job). */
const SIZE_TIMEOUT_MS = 2_000;

/** A sizer over the config's sources; a table of an unknown source has no estimate. */
export function catalogSizer(config: FloeConfig, gate: SourceGate): TableSizer {
  const sources = new Map(config.sources.map((source) => [source.name, source]));
  return async ({ source, table }) => {
    const found = sources.get(source);
    if (found === undefined) return null;
    // Without a free connection the run starts without an estimate (the Python job) rather than wait for one.
    return gate.holdIfFree(source, `size estimate of ${source}/${table}`, () =>
      (found.engine === 'postgres' ? postgresSize(found, table) : mysqlSize(found, table)));
  };
}

async function postgresSize(source: SourceConfig, table: string): Promise<ManifestSourceSize | null> {
  // pg_table_size takes the table's lock: behind an ALTER TABLE (an ACCESS EXCLUSIVE lock) it would
  // hold the run's start for as long, so it gives up soon and the run goes on without an estimate.
  const client = new pg.Client({
    connectionString: source.connection, connectionTimeoutMillis: 10_000, application_name: 'floe run (size estimate)',
    lock_timeout: SIZE_TIMEOUT_MS, statement_timeout: SIZE_TIMEOUT_MS,
  });
  client.on('error', () => undefined); // a dropped connection surfaces as the failed query
  await client.connect();
  try {
    const qualified = splitName(table).map((part) => `"${part.replace(/"/g, '""')}"`).join('.');
    const { rows } = await client.query<{ estimated_rows: number | null; never_analyzed: boolean | null; estimated_bytes: number | null }>(POSTGRES_SIZE_SQL, [qualified]);
    const row = rows[0];
    if (row === undefined || row.estimated_bytes === null) return null;
    return { rows: row.never_analyzed === true || row.estimated_rows === null ? null : Math.round(row.estimated_rows), bytes: Math.round(row.estimated_bytes) };
  } finally {
    await client.end();
  }
}

async function mysqlSize(source: SourceConfig, table: string): Promise<ManifestSourceSize | null> {
  const connection = await mysql.createConnection({ uri: source.connection.replace(/^mariadb:/, 'mysql:'), connectTimeout: 10_000 });
  try {
    const parts = splitName(table);
    const [schema, name] = parts.length === 2 ? parts : [null, parts[0]];
    const [rows] = await connection.query<Array<{ estimated_rows: number | string | null; estimated_bytes: number | string | null } & mysql.RowDataPacket>>(
      { sql: MYSQL_SIZE_SQL, timeout: SIZE_TIMEOUT_MS }, [schema, name]);
    const row = rows[0];
    if (row === undefined) return null;
    const number = (value: number | string | null): number | null => (value === null ? null : Number(value));
    return { rows: number(row.estimated_rows), bytes: number(row.estimated_bytes) };
  } finally {
    await connection.end();
  }
}

/** `schema.table` or `table`, split at the first dot as the extraction job splits it. */
function splitName(table: string): string[] {
  const dot = table.indexOf('.');
  return dot < 0 ? [table] : [table.slice(0, dot), table.slice(dot + 1)];
}
