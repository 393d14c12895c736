/**
 * How Snowflake prints each value kind as canonical-sql.ts's text: PostgreSQL's own output, in the
 * check session's settings (UTC, ISO). Every format is spelled out, so no session or account
 * default (TIMESTAMP_OUTPUT_FORMAT, BINARY_OUTPUT_FORMAT…) can change the text.
 */
import { CheckError } from './check-error.js';
import type { ScalarKind } from './canonical-sql.js';
import { snowflakeFloatBits } from './float-sql.js';

/** Microseconds, as PostgreSQL keeps them: floe's staging times and timestamps hold no finer digits from either source. */
const FRACTION = 'FF6';

/** A fraction's trailing zeros dropped, and its point when nothing is left after it (`00:00:00.500000` → `00:00:00.5`). */
function trimmedFraction(text: string): string {
  // CONTAINS, RTRIM: https://docs.snowflake.com/en/sql-reference/functions/contains, https://docs.snowflake.com/en/sql-reference/functions/rtrim
  return `iff(contains(${text}, '.'), rtrim(rtrim(${text}, '0'), '.'), ${text})`;
}

/**
 * `c` (a column, or an array's element cast to its type) of a scalar kind as PostgreSQL prints it.
 * TO_VARCHAR with a format (https://docs.snowflake.com/en/sql-reference/functions/to_char) takes the
 * date and time elements of https://docs.snowflake.com/en/sql-reference/date-time-input-output#about-the-format-elements:
 * `FF6`, six fraction digits, trimmed here as PostgreSQL trims them.
 */
export function snowflakeScalarText(kind: ScalarKind, c: string, name: string): string {
  switch (kind) {
    case 'integer':
    case 'fixed decimal':
      // A NUMBER prints all its scale's digits (https://docs.snowflake.com/en/sql-reference/data-types-numeric#number).
      return `to_varchar(${c})`;
    case 'decimal':
      return trimmedFraction(`to_varchar(${c})`);
    case 'text':
      return c;
    case 'boolean':
      return `case when ${c} then 'true' when not ${c} then 'false' end`;
    case 'date':
      return `to_varchar(${c}, 'YYYY-MM-DD')`;
    case 'timestamp':
      return trimmedFraction(`to_varchar(${c}, 'YYYY-MM-DD HH24:MI:SS.${FRACTION}')`);
    case 'timestamptz':
      // Read in UTC (CONVERT_TIMEZONE with two arguments keeps the TIMESTAMP_TZ, at the target's
      // offset: https://docs.snowflake.com/en/sql-reference/functions/convert_timezone), its offset
      // then dropped by the cast to TIMESTAMP_NTZ, which keeps the wall clock
      // (https://docs.snowflake.com/en/sql-reference/data-types-datetime#timestamp-ltz-timestamp-ntz-timestamp-tz).
      return `${trimmedFraction(`to_varchar(convert_timezone('UTC', ${c})::timestamp_ntz, 'YYYY-MM-DD HH24:MI:SS.${FRACTION}')`)} || '+00'`;
    case 'time':
      return trimmedFraction(`to_varchar(${c}, 'HH24:MI:SS.${FRACTION}')`);
    case 'binary':
      // 0: lower-case hex digits (https://docs.snowflake.com/en/sql-reference/functions/hex_encode), as PostgreSQL's encode(…, 'hex').
      return `hex_encode(${c}, 0)`;
    case 'float':
      return snowflakeFloatBits(c);
    case 'mysql float':
      throw new CheckError(
        `column ${name}: floe check cannot compare a MySQL float or double on a Snowflake warehouse yet: from MySQL a double compares by its shortest decimal digits, which Snowflake's SQL has no exact way to (nor MySQL's to its bits, which floe compares from PostgreSQL)`,
      );
  }
}

/** The name of an array's element (or row, one level up) inside the lambdas below: floe's prefix keeps it apart from source columns. */
const element = (level: number): string => `_floe_element_${level}`;

/**
 * An array (a semi-structured ARRAY of VARIANT elements, nested one ARRAY per dimension) as
 * canonical-sql.ts spells it: `[1:2][1:2]:V1␟N␟V3␟V4`. Its dimensions from ARRAY_SIZE of the array
 * and of its first element at each level (a PostgreSQL array is rectangular: each row has the
 * first's length; https://docs.snowflake.com/en/sql-reference/functions/array_size; `[0]` is the
 * first element: https://docs.snowflake.com/en/user-guide/querying-semistructured#traversing-semi-structured-data).
 * Its elements in storage order: TRANSFORM (https://docs.snowflake.com/en/sql-reference/functions/transform)
 * marks each element, cast to `elementType`, and ARRAY_TO_STRING
 * (https://docs.snowflake.com/en/sql-reference/functions/array_to_string) joins them, one level at
 * a time; a row is never empty, so joining rows joins their elements in order. A NULL element may
 * be SQL NULL or JSON null (IS_NULL_VALUE: https://docs.snowflake.com/en/sql-reference/functions/is_null_value);
 * both are NULL to PostgreSQL.
 */
export function snowflakeArrayText(c: string, array: { readonly element: ScalarKind; readonly depth: number }, elementType: string, separator: string, name: string): string {
  const over = (level: number): string => (level === 0 ? c : element(level));
  const leaf = element(array.depth);
  const value = snowflakeScalarText(array.element, `cast(${leaf} as ${elementType})`, name);
  let joined = `array_to_string(transform(${over(array.depth - 1)}, ${leaf} -> case when ${leaf} is null or is_null_value(${leaf}) then 'N' else 'V' || ${value} end), ${separator})`;
  for (let level = array.depth - 1; level >= 1; level -= 1) {
    joined = `array_to_string(transform(${over(level - 1)}, ${element(level)} -> ${joined}), ${separator})`;
  }
  const dims = Array.from({ length: array.depth }, (_, level) => `'[1:' || array_size(${c}${'[0]'.repeat(level)}) || ']'`).join(' || ');
  return `case when ${c} is null then null else iff(array_size(${c}) = 0, '', ${dims}) || ':' || ${joined} end`;
}

/**
 * `parts` joined by the separator, NULLs left out, as PostgreSQL's concat_ws joins them: Snowflake's
 * CONCAT_WS returns NULL when any argument is NULL (https://docs.snowflake.com/en/sql-reference/functions/concat_ws).
 * Each part present adds a separator and itself; the first separator is cut (SUBSTR from the
 * second character: https://docs.snowflake.com/en/sql-reference/functions/substr). All NULL: ''.
 */
export function snowflakeJoined(parts: readonly string[], separator: string): string {
  return `substr(${parts.map((part) => `coalesce(${separator} || ${part}, '')`).join(' || ')}, 2)`;
}
