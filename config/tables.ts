import { ConfigError } from './errors.js';
import type { FloeConfig, SourceConfig, TableSpec } from './schema.js';

type Named = string | { name: string };
const nameOf = (value: Named): string => (typeof value === 'string' ? value : value.name);

/** The key of a table everywhere in floe (state items, logs, CLI): `clr/availed_coupon_snapshots`. */
export function tableKey(source: Named, table: Named): string {
  return `${nameOf(source)}/${nameOf(table)}`;
}

/** One configured table with the source it belongs to. */
export interface SelectedTable {
  source: SourceConfig;
  table: TableSpec;
}

/** The CLI's `--source` / `--table` filters; absent means all. */
export interface TableFilter {
  source?: string | undefined;
  table?: string | undefined;
}

/**
 * The (source, table) pairs to work on, in config order. `--table` matches the
 * name as configured (`clr.users`) or without its schema (`users`). A filter
 * that matches nothing is a {@link ConfigError} listing what exists.
 */
export function selectTables(config: FloeConfig, filter: TableFilter = {}): SelectedTable[] {
  const sources = config.sources.filter((source) => filter.source === undefined || source.name === filter.source);
  if (sources.length === 0) {
    throw new ConfigError(`no source named '${filter.source ?? ''}'; configured sources: ${config.sources.map((s) => s.name).join(', ')}`);
  }
  const selected = sources.flatMap((source) =>
    source.tables
      .filter((table) => filter.table === undefined || table.name === filter.table || table.name.split('.').slice(1).join('.') === filter.table)
      .map((table) => ({ source, table })),
  );
  if (selected.length === 0 && filter.table !== undefined) {
    const known = sources.flatMap((source) => source.tables.map((table) => tableKey(source, table)));
    throw new ConfigError(`no table named '${filter.table}'${filter.source === undefined ? '' : ` in source '${filter.source}'`}; configured tables: ${known.join(', ') || '(none)'}`);
  }
  return selected;
}
