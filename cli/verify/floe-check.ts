/**
 * `floe snowflake verify`'s checks of floe check's Snowflake side (check/snowflake-text-sql.ts): the
 * verify table's staging values printed by the very SQL floe check runs, each column against what
 * PostgreSQL prints for the same values, then the digest of the rows (md5, the hexadecimal format
 * element, the NULL-skipping join) against PostgreSQL's. What PostgreSQL prints is pinned here and
 * computed on a real PostgreSQL by test/check/snowflake-verify-check.test.ts, so an account whose
 * COPY stores an ARRAY's elements otherwise than floe expects, or prints a value otherwise, fails
 * its line with the text it printed. The statements floe check narrows with are checked in
 * statements.ts.
 */
import { rowTextSql, type CheckedColumn } from '../../check/canonical-sql.js';
import { rangeDigestSql } from '../../check/digest-sql.js';
import { checkSideFor } from '../../check/warehouse-side.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { snowflakeTypeForArrow } from '../../warehouse/snowflake-type.js';
import { VERIFY_COLUMNS } from './values.js';

/** The verify table's columns floe check compares (those with PostgreSQL values), as floe check reads them from Snowflake staging. */
export function verifyCheckedColumns(): CheckedColumn[] {
  const side = checkSideFor(snowflakeDialect);
  return VERIFY_COLUMNS.filter((column) => column.postgres !== undefined).map((column) => {
    const stored = snowflakeTypeForArrow(column.arrowType, column.sourceType)?.staging ?? '';
    const kind = side.valueKindOf(stored, column.arrowType);
    if (kind === null) throw new Error(`verify column ${column.name} (${column.arrowType}) has no floe check kind on Snowflake`);
    const elementType = side.elementType(stored, column.arrowType);
    return { name: column.name, kind, ...(elementType === null ? {} : { elementType }) };
  });
}

/** One column's canonical text (`V…`, or `N` for NULL) in row 1 and row 2: what PostgreSQL prints for the verify values. */
export const VERIFY_CHECK_TEXTS: Readonly<Record<string, readonly [string, string]>> = {
  id: ["V1", "V2"],
  i64: ["V-9223372036854775808", "V9223372036854775807"],
  u64: ["V0", "V18446744073709551615"],
  d10: ["V-99999999.99", "V99999999.99"],
  d38: ["V-99999999999999999999999999999.999999999", "V99999999999999999999999999999.999999999"],
  f32: ["Vc7efffffe0000000", "V36a0000000000000"],
  f64: ["V0000000000000001", "V7fefffffffffffff"],
  f64_special: ["VNaN", "Vfff0000000000000"],
  f64_signs: ["V8000000000000000", "V7ff0000000000000"],
  ok: ["Vfalse", "Vtrue"],
  empty: ["V", "N"],
  tricky: ["Vtab\there, newline\nhere, backslash \\ and quote ' and emoji 😀", "Vü"],
  blob: ["V", "V00ff"],
  born_on: ["V0001-01-01", "V9999-12-31"],
  reform_day: ["V1582-10-10", "V1200-06-15"],
  local_at: ["V0001-01-01 00:00:00.000001", "V9999-12-31 23:59:59.999999"],
  zoned_at: ["V2025-11-06 01:30:00+00", "V9999-12-31 23:59:59.999999+00"],
  at_time: ["V00:00:00", "V23:59:59.999999"],
  int_list: ["V[1:3]:V1\u001fN\u001fV-2147483648", "V:"],
  text_list: ["V[1:3]:Va \"b\", \\ ü\u001fV\u001fN", "V[1:1]:VNULL"],
  grid: ["V[1:2][1:2]:V1\u001fV2\u001fV3\u001fN", "V:"],
  flag_list: ["V[1:3]:Vtrue\u001fVfalse\u001fN", "V[1:1]:Vfalse"],
  price_list: ["V[1:2]:V1.5\u001fV-99999999.99", "V[1:2]:V0.01\u001fV99999999.99"],
  double_list: ["V[1:1]:V3fb999999999999a", "V[1:2]:V0000000000000001\u001fV8000000000000000"],
  odd_doubles: ["V[1:2]:VNaN\u001fV7ff0000000000000", "V[1:2]:Vfff0000000000000\u001fV8000000000000000"],
  real_list: ["V[1:2]:V3fb99999a0000000\u001fVc7efffffe0000000", "V[1:2]:V36a0000000000000\u001fV8000000000000000"],
  big_list: ["V[1:2]:V9007199254740993\u001fV-9223372036854775808", "V[1:1]:V9223372036854775807"],
  wide_list: ["V[1:2]:V-99999999999999999999999999999.999999999\u001fV0.000000001", "V[1:1]:V99999999999999999999999999999.999999999"],
  time_list: ["V[1:2]:V00:00:00\u001fV23:59:59.999999", "V[1:2]:V12:00:00.5\u001fN"],
  local_list: ["V[1:2]:V0001-01-01 00:00:00.000001\u001fV1582-10-10 12:00:00", "V[1:1]:V9999-12-31 23:59:59.999999"],
  day_list: ["V[1:2]:V0001-01-01\u001fV9999-12-31", "V[1:3]:V2024-02-29\u001fV1582-10-10\u001fV1200-06-15"],
  instant_list: ["V[1:1]:V2025-11-06 01:30:00.000001+00", "V[1:1]:V9999-12-31 23:59:59.999999+00"],
  blob_list: ["V[1:2]:V00ff\u001fV", "V[1:1]:Vcafe"],
  'straße': ["Vß", "Vss"],
};

/** Row count and hash sum of both rows over {@link verifyCheckedColumns}, as PostgreSQL computes them. */
export const VERIFY_CHECK_DIGEST = { rows: '2', hashSum: '952870335840858368' } as const;

/** The statement printing a column's canonical text per row of `table`, ordered by id. */
export function columnTextSql(column: CheckedColumn, table: string, where: string): string {
  return `select ${rowTextSql('snowflake', [column])} as "t" from ${table} where ${where} order by "ID"`;
}

/** The whole-table digest statement of floe check over `from` (a table or subquery). */
export function verifyDigestSql(from: string): { sql: string; params: readonly string[] } {
  const columns = verifyCheckedColumns();
  return rangeDigestSql({ dialect: 'snowflake', from, key: columns.slice(0, 1), columns }, 0, null);
}

/** A verify line: a check, whether it passed, and what Snowflake printed when not. */
export interface CheckLine {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The line of a check whose `work` returns what was wrong ('' when nothing), or throws Snowflake's error. */
export async function checkLine(check: string, work: () => Promise<string>): Promise<CheckLine> {
  try {
    const wrong = await work();
    return { check, ok: wrong === '', detail: wrong };
  } catch (error) {
    return { check, ok: false, detail: (error instanceof Error ? error.message : String(error)).replaceAll(/\s+/g, ' ').trim() };
  }
}

/**
 * One line per checked column (its text in both rows against PostgreSQL's), then one for the
 * digest of both rows: the run's rows of `table` (Snowflake staging of the verify table),
 * selected by `where`.
 */
export async function verifyCheckLines(run: (sql: string) => Promise<{ rows: Record<string, unknown>[] }>, table: string, where: string): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const column of verifyCheckedColumns()) {
    lines.push(await checkLine(`floe check: ${column.name} (${column.kind}) prints as PostgreSQL does`, async () => {
      const printed = (await run(columnTextSql(column, table, where))).rows.map((row) => row['t']);
      const expected = VERIFY_CHECK_TEXTS[column.name] ?? [];
      return expected.flatMap((text, index) => (printed[index] === text ? [] : [`row ${index + 1}: printed ${JSON.stringify(printed[index])}, PostgreSQL prints ${JSON.stringify(text)}`])).join('; ');
    }));
  }
  lines.push(await checkLine('floe check: the rows’ digest (md5, hexadecimal, sum) equals PostgreSQL’s', async () => {
    const [digest] = (await run(verifyDigestSql(`(select * from ${table} where ${where})`).sql)).rows;
    const found = { rows: String(digest?.['row_count']), hashSum: String(digest?.['hash_sum']) };
    return found.rows === VERIFY_CHECK_DIGEST.rows && found.hashSum === VERIFY_CHECK_DIGEST.hashSum
      ? ''
      : `${found.rows} rows, hash sum ${found.hashSum}; PostgreSQL: ${VERIFY_CHECK_DIGEST.rows} rows, hash sum ${VERIFY_CHECK_DIGEST.hashSum}`;
  }));
  return lines;
}
