import { TableObjectSchema } from '../config/schema.js';
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
 *         incrementalColumn: updated_at
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
      `${pad}- name: ${scalar(table.name)}`,
      `${pad}  primaryKey: [${table.primaryKey.map(scalar).join(', ')}]`,
      ...(table.incrementalColumn === null ? [] : [`${pad}  incrementalColumn: ${scalar(table.incrementalColumn)}`]),
      ...(table.partitionColumn === null ? [] : [`${pad}  partitionColumn: ${scalar(table.partitionColumn)}`, `${pad}  partitions: 2`]),
    ];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Why a table cannot be an entry as it stands, or null when it can. */
function unconfigurable(table: DiscoveredTable): string | null {
  if (table.primaryKey.length === 0) {
    return `no primary key: ${scalar(table.name)} — floe needs one to merge; add a key or list it with primaryKey: [..] of unique columns`;
  }
  if (!TableObjectSchema.shape.name.safeParse(table.name).success) {
    return `cannot be configured: ${scalar(table.name)} — table names may not contain '/' or start or end with '.'; rename the table`;
  }
  if (table.primaryKey.some((column) => column.includes(','))) {
    return `cannot be configured: ${scalar(table.name)} — a primary-key column name contains ','; rename the column`;
  }
  return null;
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
