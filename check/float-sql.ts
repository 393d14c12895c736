/**
 * How floats compare across databases. From PostgreSQL, by their 64 bits, which PostgreSQL and
 * DuckDB both reach exactly (their shortest decimal texts differ where a shorter one lies exactly
 * halfway between two doubles). From MySQL, which has no way to the bits, by their shortest
 * decimal digits and exponent, which MySQL and DuckDB print alike in different notations. Snowflake
 * reaches the bits from PostgreSQL too, by arithmetic; from MySQL it is not built (snowflake-text-sql.ts).
 */

/** A double's IEEE 754 bits as 16 hex digits; NaN as `NaN`, whatever its payload. */
export function postgresFloatBits(c: string): string {
  return `case when ${c} = 'NaN'::float8 then 'NaN' else encode(float8send(${c}::float8), 'hex') end`;
}

/** The same bits from DuckDB, as {@link postgresFloatBits} prints them. */
export function duckDbFloatBits(c: string): string {
  const x = `${c}::DOUBLE`;
  // A cast to BIT keeps a double's 64 bits as they are.
  return `case when isnan(${x}) then 'NaN' else lpad(lower(hex(cast(cast(${x} as BIT) as UBIGINT))), 16, '0') end`;
}

/**
 * A MySQL double as its shortest decimal digits and exponent (`-125e3` for -125, `1e0` for 0.1),
 * from its text in either notation MySQL prints (`1e15`, `0.00001`). The text is kept in a user
 * variable, set by the first WHEN, so the many string steps below do not print the double again
 * each (MySQL computes no common expression once): 3× faster on MariaDB. MySQL 8 warns that
 * setting a variable inside an expression is deprecated; should it go, the text must be repeated
 * in each step again, at three times the cost.
 */
export function mysqlShortestDigits(c: string, slot: number): string {
  const v = `@floe_float_${slot}`;
  const unsigned = `trim(leading '-' from ${v})`;
  const mantissa = `substring_index(${unsigned}, 'e', 1)`;
  const exponent = `if(locate('e', ${unsigned}) > 0, cast(substring_index(${unsigned}, 'e', -1) as signed), 0)`;
  const whole = `substring_index(${mantissa}, '.', 1)`;
  const fraction = `if(locate('.', ${mantissa}) > 0, substring_index(${mantissa}, '.', -1), '')`;
  const digits = `concat(${whole}, ${fraction})`;
  const significant = `trim(leading '0' from ${digits})`;
  const trimmed = `trim(trailing '0' from ${significant})`;
  const point = `(length(${whole}) + ${exponent} - (length(${digits}) - length(${significant})))`;
  const sign = `if(left(${v}, 1) = '-', '-', '')`;
  return `case when (${v} := cast(cast(${c} as double) as char)) is null then null when ${trimmed} = '' then concat(${sign}, '0') else concat(${sign}, ${trimmed}, 'e', cast(${point} as char)) end`;
}

/** The parts of DuckDB's text of a double, split once per row in a layer below the row hash (canonical-sql.ts, preparedColumnsSql). */
export function duckDbFloatParts(c: string): string {
  return `regexp_extract(cast(${c}::DOUBLE as varchar), '^(-?)([0-9]*)\\.?([0-9]*)e?([-+]?[0-9]*)$', ['sign', 'whole', 'fraction', 'exponent'])`;
}

/** The same digits and exponent as {@link mysqlShortestDigits}, from the parts of DuckDB's text. */
export function duckDbShortestDigits(c: string, slot: number): string {
  const x = `${c}::DOUBLE`;
  const part = (name: string) => `struct_extract(${preparedName(slot)}, '${name}')`;
  const digits = `(${part('whole')} || ${part('fraction')})`;
  const significant = `ltrim(${digits}, '0')`;
  const trimmed = `rtrim(${significant}, '0')`;
  const point = `(length(${part('whole')}) + coalesce(try_cast(${part('exponent')} as INTEGER), 0) - (length(${digits}) - length(${significant})))`;
  return (
    `case when ${x} is null then null when isnan(${x}) then 'NaN' when isinf(${x}) then cast(${x} as varchar) ` +
    `when ${trimmed} = '' then ${part('sign')} || '0' else ${part('sign')} || ${trimmed} || 'e' || cast(${point} as varchar) end`
  );
}

/** A prepared value's column: floe's prefix keeps it apart from source columns. */
export function preparedName(slot: number): string {
  return `"_floe_float_${slot}"`;
}

/**
 * The same bits from Snowflake, which has no way to a FLOAT's bits but arithmetic: each step below
 * is exact in binary floating point, so the bits are the double's own. The exponent is LOG's
 * (https://docs.snowflake.com/en/sql-reference/functions/log) floor, corrected by one either way
 * where LOG rounds across a power of two; dividing by that power of two (POWER:
 * https://docs.snowflake.com/en/sql-reference/functions/pow) leaves the significand in [1, 2), whose
 * 52 fraction bits are then a whole number below 2^53. Subnormals (below 2^-1022) are 2^-1074 times
 * theirs. The 64 bits are summed as an exact NUMBER and printed with the hexadecimal format element
 * `X` (https://docs.snowflake.com/en/sql-reference/sql-format-models#fixed-position-numeric-formats;
 * `FM` drops the padding, LPAD restores the leading zeros). NaN, ±infinity and zeros are named
 * (https://docs.snowflake.com/en/sql-reference/data-types-numeric#special-values), a zero's sign
 * read from ATAN2 (https://docs.snowflake.com/en/sql-reference/functions/atan2), which is -π for -0.
 *
 * Snowflake documents neither that IFF leaves the branch not taken unevaluated
 * (https://docs.snowflake.com/en/sql-reference/functions/iff) nor whether a FLOAT that overflows is
 * infinity or an error, so no operand here leaves the finite doubles, whichever branch is taken:
 * the exponent is found for a normal magnitude only (1 stands in for a subnormal), LOG's floor is
 * held to [-1022, 1023] (LOG of the largest double rounds to 1024), the next power of two is
 * compared as `n / 2 >= 2^e` rather than computed (2^1024 is no double), and the subnormal scaling
 * multiplies 0 unless the value is subnormal (below 2^-1022, times 2^1074 is below 2^52).
 */
export function snowflakeFloatBits(c: string): string {
  const x = `cast(${c} as float)`;
  const special = `${x} = 'NaN'::float or ${x} in ('inf'::float, '-inf'::float) or ${x} = 0`;
  // A finite, non-zero magnitude for LOG and POWER, whatever value the branch not taken holds.
  const a = `iff(${special}, 1, abs(${x}))`;
  const subnormal = `${a} < power(2, -1022)`;
  const n = `iff(${subnormal}, 1, ${a})`;
  const guess = `least(greatest(floor(log(2, ${n})), -1022), 1023)`;
  // n / 2 rounds, but monotonically, and 2^guess is a double: the comparison is n >= 2^(guess + 1)'s.
  const exponent = `(${guess} - iff(power(2, ${guess}) > ${n}, 1, 0) + iff(${n} / 2 >= power(2, ${guess}), 1, 0))`;
  const tiny = `iff(${subnormal}, ${a}, 0)`;
  const fraction = `iff(${subnormal}, ${tiny} * power(2, 1022) * power(2, 52), (${n} / power(2, ${exponent}) - 1) * power(2, 52))`;
  const high = `iff(${subnormal}, 0, ${exponent} + 1023) + iff(${x} < 0, 2048, 0)`;
  const bits = `cast(${fraction} as number(20, 0)) + cast(${high} as number(5, 0)) * 4503599627370496`;
  return (
    `case when ${x} is null then null when ${x} = 'NaN'::float then 'NaN' ` +
    `when ${x} = 'inf'::float then '7ff0000000000000' when ${x} = '-inf'::float then 'fff0000000000000' ` +
    `when ${x} = 0 then iff(atan2(${x}, -1) < 0, '8000000000000000', '0000000000000000') ` +
    `else lpad(lower(to_char(${bits}, 'FMXXXXXXXXXXXXXXXX')), 16, '0') end`
  );
}
