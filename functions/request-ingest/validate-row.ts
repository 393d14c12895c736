import { IngestModeSchema, type IngestMode } from '../../events/index.js';
import type { StateStore } from '../../state/index.js';
import type { RowRequest } from './wire-format.js';

/** A row of FLOE_INGEST that names configured tables with good options. */
export interface ValidRow {
  rowNumber: number;
  source: string;
  tables: string[];
  /** Only when the row asked for a mode; otherwise start-ingest takes the table's own. */
  mode: IngestMode | undefined;
  wait: boolean;
}

type TableConfig = NonNullable<Awaited<ReturnType<StateStore['getTableConfig']>>>;

/** The table configuration a call reads, each source and table read once however many rows name it. */
export interface ConfigLookups {
  tableConfig(source: string, table: string): Promise<TableConfig | null>;
  tableConfigs(source: string): Promise<TableConfig[]>;
}

export function configLookups(state: StateStore): ConfigLookups {
  const tables = new Map<string, Promise<TableConfig | null>>();
  const sources = new Map<string, Promise<TableConfig[]>>();
  return {
    tableConfig(source, table) {
      const key = JSON.stringify([source, table]);
      if (!tables.has(key)) tables.set(key, state.getTableConfig(source, table));
      return tables.get(key)!;
    },
    tableConfigs(source) {
      if (!sources.has(source)) sources.set(source, state.listTableConfigs(source));
      return sources.get(source)!;
    },
  };
}

/** The tables a row names explicitly (none for `'*'` or null), without reading anything. */
export function namedTables(row: RowRequest): string[] {
  if (!Array.isArray(row.tables)) return [];
  return [...new Set(row.tables.filter((table): table is string => typeof table === 'string' && table !== ''))];
}

/** A row that names an unknown table or has bad arguments answers an error; it never fails the batch. */
export async function validateRow(lookups: ConfigLookups, row: RowRequest): Promise<ValidRow | { error: string }> {
  if (typeof row.source !== 'string' || row.source === '') return { error: 'source must be a non-empty string' };
  const source = row.source;
  const allTables = row.tables === null || row.tables === '*';
  if (!allTables && (!Array.isArray(row.tables) || row.tables.length === 0 || !row.tables.every((t): t is string => typeof t === 'string' && t !== ''))) {
    return { error: 'tables must be a non-empty array of table names, or null / "*" for all tables' };
  }
  let mode: IngestMode | undefined;
  let wait = false;
  if (row.options !== null) {
    if (typeof row.options !== 'object' || Array.isArray(row.options)) return { error: 'options must be an object or null, e.g. {"mode": "full", "wait": true}' };
    const options = row.options as Record<string, unknown>;
    const unknownKeys = Object.keys(options).filter((key) => key !== 'mode' && key !== 'wait');
    if (unknownKeys.length > 0) return { error: `unknown option(s) ${unknownKeys.join(', ')}: expected "mode" and "wait"` };
    if (options['mode'] !== undefined && options['mode'] !== null) {
      const parsed = IngestModeSchema.safeParse(options['mode']);
      if (!parsed.success) return { error: `options.mode must be "full" or "incremental", got ${JSON.stringify(options['mode'])}` };
      mode = parsed.data;
    }
    if (options['wait'] !== undefined && options['wait'] !== null) {
      if (typeof options['wait'] !== 'boolean') return { error: 'options.wait must be true or false' };
      wait = options['wait'];
    }
  }
  const valid = { rowNumber: row.rowNumber, source, mode, wait };
  if (allTables) {
    const configs = await lookups.tableConfigs(source);
    if (configs.length === 0) return { error: `source ${source} has no configured tables (unknown source?); nothing was requested for this row` };
    return { ...valid, tables: configs.map((config) => config.table) };
  }
  const tables: string[] = [];
  const unknown: string[] = [];
  for (const table of namedTables(row)) {
    if (await lookups.tableConfig(source, table)) tables.push(table);
    else unknown.push(table);
  }
  if (unknown.length > 0) {
    return { error: `not in the configuration of source ${source} (unknown source or table): ${unknown.join(', ')}; nothing was requested for this row` };
  }
  return { ...valid, tables };
}
