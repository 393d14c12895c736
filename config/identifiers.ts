import { printable } from './printable.js';

/**
 * The table and column names floe.config.yaml can carry, and why a name cannot be carried.
 *
 * Names are otherwise free: quotes, spaces, semicolons, unicode and reserved words reach every
 * database quoted (`warehouse/quote.ts`, the job's quoting), never as SQL. What is refused here is
 * what the way a name travels cannot carry: the job's arguments (`--table`, `--primary-key`, …,
 * parsed by argparse here and by Glue's getResolvedOptions on AWS), the raw layout's path segment,
 * and the `schema.table` form. `floe discover` applies the same rules to what it suggests.
 *
 * Control characters (C0, DEL, C1: newline, tab, ESC, ...) are refused too. A name carrying one
 * would travel into job arguments, raw-layout folder names, log lines and `-- ` comments of the
 * Snowflake DDL; floe escapes them wherever it prints (./printable.ts), but no real table needs
 * one, and a config holding one is a mistake or an attack better stopped before anything runs.
 * Names floe reads from a source (the columns a run extracts) are not refused: they are printed
 * escaped.
 */

/** Why `name` cannot be a table (`table` or `schema.table`) in the config, or null when it can. */
export function tableNameProblem(name: string): string | null {
  if (name.length === 0) return 'a table name cannot be empty';
  const control = controlProblem('table', name);
  if (control !== null) return control;
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
  const control = controlProblem('column', name);
  if (control !== null) return control;
  if (options.key && name.includes(',')) return `column '${name}' contains ',', which separates the columns of the job's --primary-key list; rename the column`;
  if (options.key && name.trim() !== name) return `column '${name}' starts or ends with white space, which the job's --primary-key list trims; rename the column`;
  return commonProblem('column', name);
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function controlProblem(kind: 'table' | 'column', name: string): string | null {
  if (name.includes('\u0000')) return `${kind} ${JSON.stringify(name)} contains a NUL character, which no database allows in a name`;
  const control = CONTROL.exec(name)?.[0];
  if (control === undefined) return null;
  return `${kind} '${printable(name)}' contains the control character ${printable(control)}, which would reach file paths, logs and terminals; rename the ${kind}`;
}

function commonProblem(kind: 'table' | 'column', name: string): string | null {
  if (name.startsWith('-')) return `${kind} '${name}' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the ${kind}`;
  return null;
}
