/**
 * The table and column names floe.config.yaml can carry, and why a name cannot be carried.
 *
 * Names are otherwise free: quotes, spaces, semicolons, unicode and reserved words reach every
 * database quoted (`warehouse/quote.ts`, the job's quoting), never as SQL. What is refused here is
 * what the way a name travels cannot carry: the job's arguments (`--table`, `--primary-key`, …,
 * parsed by argparse here and by Glue's getResolvedOptions on AWS), the raw layout's path segment,
 * and the `schema.table` form. `floe discover` applies the same rules to what it suggests.
 */

/** Why `name` cannot be a table (`table` or `schema.table`) in the config, or null when it can. */
export function tableNameProblem(name: string): string | null {
  if (name.length === 0) return 'a table name cannot be empty';
  if (name.includes('/')) return `table '${name}' contains '/': the name is a folder of the raw layout; rename the table`;
  if (name.startsWith('.') || name.endsWith('.')) return `expected 'table' or 'schema.table', got '${name}' (starting or ending with '.')`;
  return commonProblem('table', name);
}

/**
 * Why `name` cannot be a column the config names (primaryKey, incrementalColumn,
 * partitionColumn), or null when it can. A key column travels in the comma list `--primary-key`.
 */
export function columnNameProblem(name: string, options: { key?: boolean } = {}): string | null {
  if (name.length === 0) return 'a column name cannot be empty';
  if (options.key && name.includes(',')) return `column '${name}' contains ',', which separates the columns of the job's --primary-key list; rename the column`;
  if (options.key && name.trim() !== name) return `column '${name}' starts or ends with white space, which the job's --primary-key list trims; rename the column`;
  return commonProblem('column', name);
}

function commonProblem(kind: 'table' | 'column', name: string): string | null {
  if (name.includes('\u0000')) return `${kind} ${JSON.stringify(name)} contains a NUL character, which no database allows in a name`;
  if (name.startsWith('-')) return `${kind} '${name}' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the ${kind}`;
  return null;
}
