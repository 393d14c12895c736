/**
 * The only way identifiers enter SQL.
 *
 * Wraps a name in double quotes and doubles any double quote inside it, so
 * table and column names with spaces, quotes, unicode or reserved words reach
 * DuckDB (and Snowflake) exactly as the source spells them.
 *
 * Values never go through here: they are bound as parameters. DuckDB binds
 * parameters even inside `read_parquet([$1, $2])`, so no literal quoting is needed.
 *
 * @example quoteIdentifier('order') === '"order"'
 * @example quoteIdentifier('say "hi"') === '"say ""hi"""'
 */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new Error('An SQL identifier cannot be empty.');
  if (name.includes('\u0000')) throw new Error(`The SQL identifier ${JSON.stringify(name)} contains a NUL character.`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table inside a schema, both parts unquoted. */
export interface QualifiedName {
  readonly schema: string;
  readonly name: string;
}

/** `schema.name`, both parts quoted: `raw."clr__orders"` becomes `"raw"."clr__orders"`. */
export function quoteQualifiedName(table: QualifiedName): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}
