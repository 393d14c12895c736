import type { BoundSql } from './table-sql.js';

/**
 * Double-quoted identifiers, single-quoted strings (Snowflake escapes with `\` too) and `$$…$$`
 * procedure bodies, then `$n`. A body's own `$1` (a column of `result_scan`) is not a placeholder.
 */
const TOKENS = /\$\$[\s\S]*?\$\$|"(?:[^"]|"")*"|'(?:[^'\\]|\\.|'')*'|\$(\d+)/gs;

/**
 * Rewrites the shared generator's `$n` placeholders for Snowflake, skipping
 * any `$n` inside quoted names and strings.
 *
 * The Node driver binds `?` positionally, once per occurrence, so a value used
 * twice is bound twice.
 *
 * @example toSnowflakeBinds({ sql: 'select $1, $1', params: ['r1'] }) // { sql: 'select ?, ?', params: ['r1', 'r1'] }
 */
export function toSnowflakeBinds(statement: BoundSql): BoundSql {
  const params: BoundSql['params'][number][] = [];
  const sql = replacePlaceholders(statement.sql, (index) => {
    if (index < 1 || index > statement.params.length) {
      throw new Error(`Placeholder $${index} has no bound value (the statement has ${statement.params.length}).`);
    }
    params.push(statement.params[index - 1] ?? null);
    return '?';
  });
  return { sql, params };
}

/** Calls `replace` for every `$n` outside quotes and puts its result in place. */
export function replacePlaceholders(sql: string, replace: (index: number) => string): string {
  return sql.replace(TOKENS, (token: string, digits: string | undefined) => (digits === undefined ? token : replace(Number(digits))));
}
