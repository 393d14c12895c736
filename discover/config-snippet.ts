import { columnNameProblem, tableNameProblem } from '../config/identifiers.js';
import type { DiscoveredTable } from './discovered-table.js';

/**
 * YAML to paste under a source's `tables:`, one entry per table with a primary
 * key, indented for the layout of the README (`tables:` at 4 spaces, entries at 6).
 *
 * Each entry has `name`, `primaryKey`, `incrementalColumn` when one was found
 * (else the table runs in full mode) and `partitionColumn` with `partitions: 2`
 * when the key is one integer column. Tables without a primary key, and tables
 * whose names floe cannot take, come out as comments rather than entries.
 *
 * @example
 * ```yaml
 *       - name: clr.users
 *         primaryKey: [id]
 *         incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)
 *         partitionColumn: id
 *         partitions: 2
 *       # no primary key: clr.audit — floe needs one to merge; add a key or list it with primaryKey: [..] of unique columns
 * ```
 */
export function configSnippet(tables: readonly DiscoveredTable[], options: { indent?: number } = {}): string {
  const pad = ' '.repeat(options.indent ?? 6);
  const lines = tables.flatMap((table) => {
    const problem = unconfigurable(table);
    if (problem !== null) return [`${pad}# ${problem}`];
    return [
      `${pad}- name: ${scalar(table.name)}   # ${sizeOf(table)}`,
      `${pad}  primaryKey: [${table.primaryKey.map(scalar).join(', ')}]`,
      ...(table.incrementalColumn === null
        ? [`${pad}  # full mode: no column the database sets on update, nor one named like updated_at`]
        : [`${pad}  # ${table.incrementalColumn}: ${table.incrementalEvidence ?? ''}`, `${pad}  incrementalColumn: ${scalar(table.incrementalColumn)}   ${INCREMENTAL_ASSUMPTION}`]),
      ...(table.partitionColumn === null ? [] : [`${pad}  partitionColumn: ${scalar(table.partitionColumn)}`, `${pad}  partitions: ${table.partitions}`]),
    ];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The catalog's estimate of the table, as a comment says it. */
function sizeOf(table: DiscoveredTable): string {
  const rows = table.estimatedRows === null ? 'rows not estimated yet' : `~${table.estimatedRows.toLocaleString('en-US')} rows`;
  const bytes = table.estimatedBytes === null ? '' : `, ~${formatBytes(table.estimatedBytes)}`;
  return `${rows}${bytes}${table.partitions > 1 ? `: ${table.partitions} parallel reads` : ''}`;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * What an incremental column is assumed to be: the watermark stays behind open transactions only
 * for stamps from the database's clock (README, "Incremental runs and open transactions").
 */
const INCREMENTAL_ASSUMPTION = '# assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)';

/** Why a table cannot be an entry as it stands, or null when it can: the config's own rules (config/identifiers.ts). */
function unconfigurable(table: DiscoveredTable): string | null {
  if (table.primaryKey.length === 0) {
    return `no primary key: ${scalar(table.name)} — floe needs one to merge; add a key or list it with primaryKey: [..] of unique columns`;
  }
  const problem =
    tableNameProblem(table.name) ??
    readsBackProblem(table) ??
    table.primaryKey.map((column) => columnNameProblem(column, { key: true })).find((found) => found !== null) ??
    [table.incrementalColumn, table.partitionColumn].map((column) => (column === null ? null : columnNameProblem(column))).find((found) => found !== null) ??
    null;
  return problem === null ? null : `cannot be configured: ${scalar(table.name)} — ${problem}`;
}

/** The job splits `schema.table` at the first '.', so a schema with a '.' cannot be named. */
function readsBackProblem(table: DiscoveredTable): string | null {
  const dot = table.name.indexOf('.');
  if (dot === -1 || table.name.slice(0, dot) === table.schema) return null;
  return `schema '${table.schema}' contains '.', and 'schema.table' is split at the first '.'; rename the schema`;
}

/** Plain words stay plain; anything else, and words YAML would read as another type, is double-quoted. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;

/**
 * One value as YAML text that reads back as the same string after
 * floe.config.yaml's `${VAR}` substitution: `$` is doubled, since `$$` is the
 * escape for a literal `$`. JSON strings are valid YAML double-quoted scalars.
 */
export function scalar(value: string): string {
  const escaped = value.replaceAll('$', '$$$$');
  return PLAIN.test(escaped) && !RESERVED.test(escaped) ? escaped : JSON.stringify(escaped);
}
