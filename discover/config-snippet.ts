import { columnNameProblem, tableNameProblem } from '../config/identifiers.js';
import { printable } from '../config/printable.js';
import type { DiscoveredTable } from './discovered-table.js';

/**
 * YAML to paste under a source's `tables:`, one entry per table, indented for the layout of the
 * README (`tables:` at 4 spaces, entries at 6).
 *
 * Each entry has `name`; `primaryKey` (the declared one, or a unique index over NOT NULL columns,
 * said why); `incrementalColumn` when one was found (else the table runs in full mode); and
 * `partitionColumn` with `partitions` when the key is one integer column of a big table. A table
 * with neither key nor unique index gets `mode: append` with the column stamped at insert, or
 * `mode: full`, each with a comment saying why. Only tables whose names floe cannot take come out
 * as comments rather than entries. Comments carry catalog names made printable: a name holding a
 * newline cannot end one and start YAML.
 *
 * @example
 * ```yaml
 *       - name: clr.users
 *         primaryKey: [id]
 *         incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)
 *         partitionColumn: id
 *         partitions: 2
 *       - name: clr.audit   # ~1,523 rows
 *         # no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept
 *         mode: full
 * ```
 */
export function configSnippet(tables: readonly DiscoveredTable[], options: { indent?: number } = {}): string {
  const pad = ' '.repeat(options.indent ?? 6);
  const comment = (text: string): string => `${pad}  # ${printable(text)}`;
  const lines = tables.flatMap((table) => {
    const problem = cannotConfigure(table);
    if (problem !== null) return [`${pad}# ${printable(problem)}`];
    return [
      `${pad}- name: ${scalar(table.name)}   # ${sizeOf(table)}`,
      ...(table.primaryKey.length === 0
        ? [comment(table.modeEvidence ?? 'no primary key'), `${pad}  mode: ${table.mode}`]
        : [...(table.keyEvidence === null ? [] : [comment(table.keyEvidence)]), `${pad}  primaryKey: [${table.primaryKey.map(scalar).join(', ')}]`]),
      ...(table.incrementalColumn === null
        ? table.primaryKey.length === 0 ? [] : [comment('full mode: no column the database sets on update, nor one named like updated_at')]
        : [comment(`${table.incrementalColumn}: ${table.incrementalEvidence ?? ''}`), `${pad}  incrementalColumn: ${scalar(table.incrementalColumn)}   ${INCREMENTAL_ASSUMPTION}`]),
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
export function cannotConfigure(table: DiscoveredTable): string | null {
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
