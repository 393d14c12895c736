/**
 * `floe snowflake verify`'s checks of the statements floe check narrows with once a digest differs
 * (check/digest-sql.ts): a range digest within prefixes, the rows' keys and hashes, a keyless
 * table's copies, the lookup of keys, and the digest up to a watermark bound as a parameter. Each
 * is built by floe check's own generator, run over the verify rows in Snowflake staging, and
 * compared with what the same generator computes on PostgreSQL for the same rows. The prefixes,
 * hashes and keys come from {@link VERIFY_ROW_HASHES}, pinned as PostgreSQL computes them (the test
 * test/check/snowflake-verify-check.test.ts runs every statement here on a real PostgreSQL).
 *
 * They hash a few columns whose texts verify's column lines prove one by one (text with a tab, a
 * newline and an emoji; a timestamp with a zone; a float; a 2-D array), so a failure here is the
 * statement's own, not a value's.
 */
import { quoteFor, type CheckDialect, type CheckedColumn } from '../../check/canonical-sql.js';
import { keysPresentSql, rangeDigestSql, rowCopiesSql, rowDigestSql, type BoundQuery, type CheckedTable } from '../../check/digest-sql.js';
import { checkLine, VERIFY_CHECK_TEXTS, verifyCheckedColumns, type CheckLine } from './floe-check.js';

/** The verify columns the statements below hash, `id` (the key) first. */
const HASHED = ['id', 'tricky', 'zoned_at', 'f64_special', 'grid'];

/** md5 of row 1 and of row 2 over {@link HASHED}, as PostgreSQL computes it. */
export const VERIFY_ROW_HASHES = ['e94d2e5629e930149f713e1a52e16084', '2fc89ca6cc8684b29e01aa5b03b64dc7'] as const;

/**
 * The watermark the last statement stops at: row 1's zoned_at, as the extraction job writes a
 * timestamptz's (glue's format_watermark), which Snowflake's AUTO input format, pinned by floe's
 * sessions (snowflake-connection.ts), reads with its offset
 * (https://docs.snowflake.com/en/sql-reference/date-time-input-output#supported-formats-for-auto-detection).
 */
const WATERMARK = '2025-11-06 01:30:00.000000+00:00';

/**
 * One statement, and the rows PostgreSQL returns for it: the fields compared, as text. A keyless
 * table's copies are matched by hash and count; their text only shows the row, each database
 * printing floats and arrays its own way (check/digest-sql.ts), so it is not compared.
 */
export interface VerifyStatement {
  readonly check: string;
  readonly query: BoundQuery;
  readonly expected: readonly Record<string, string>[];
}

/** Where the verify rows are, in one database: `from` (a table or subquery), and the zoned_at column's type to bind the watermark as, where the dialect needs it. */
export interface VerifyRows {
  readonly dialect: CheckDialect;
  readonly from: string;
  readonly watermarkType?: string;
}

/** The first 15 hex digits of an md5 as a whole number, as hashNumberSql reads them (canonical-sql.ts). */
const hashNumber = (hash: string): bigint => BigInt(`0x${hash.slice(0, 15)}`);

/** A row's key text: its values marked and joined, as rowTextSql makes it. */
const keyText = (columns: readonly string[], row: 0 | 1): string => columns.map((name) => VERIFY_CHECK_TEXTS[name]?.[row] ?? '').join('\u001f');

/** The rows whose hash starts with one of `prefixes`. */
const rowsIn = (prefixes: readonly string[]): (0 | 1)[] => ([0, 1] as const).filter((row) => prefixes.some((prefix) => VERIFY_ROW_HASHES[row].startsWith(prefix)));

/** Range digests of `rows`, per `length`-digit prefix. */
function digests(rows: readonly (0 | 1)[], length: number): Record<string, string>[] {
  const ranges = new Map<string, { rows: number; sum: bigint }>();
  for (const row of rows) {
    const range = VERIFY_ROW_HASHES[row].slice(0, length);
    const found = ranges.get(range) ?? { rows: 0, sum: 0n };
    ranges.set(range, { rows: found.rows + 1, sum: found.sum + hashNumber(VERIFY_ROW_HASHES[row]) });
  }
  return [...ranges].map(([range, { rows: count, sum }]) => ({ key_range: range, row_count: String(count), hash_sum: String(sum) }));
}

/** The checked columns the statements hash, as floe check reads them from Snowflake staging. */
export function verifyHashedColumns(): CheckedColumn[] {
  return HASHED.map((name) => verifyCheckedColumns().find((column) => column.name === name)).filter((column) => column !== undefined);
}

/** floe check's narrowing statements over the verify rows, with what PostgreSQL returns for each. */
export function verifyStatements(rows: VerifyRows): VerifyStatement[] {
  const columns = verifyHashedColumns();
  const table: CheckedTable = { dialect: rows.dialect, from: rows.from, key: columns.slice(0, 1), columns };
  const [first, second] = VERIFY_ROW_HASHES;
  const within = [first.slice(0, 1)];
  const listed = [second.slice(0, 2)];
  const both = [...new Set([first.slice(0, 1), second.slice(0, 1)])];
  const keys = ['id', 'tricky'];
  const watermark = { column: quoteFor(rows.dialect, 'zoned_at'), value: WATERMARK, ...(rows.watermarkType === undefined ? {} : { sqlType: rows.watermarkType }) };
  return [
    {
      check: `range digests of 2 digits within prefix ${within.join(', ')}`,
      query: rangeDigestSql(table, 2, { length: 1, prefixes: within }),
      expected: digests(rowsIn(within), 2),
    },
    {
      check: `the rows' keys and hashes within prefix ${listed.join(', ')}`,
      query: rowDigestSql(table, 2, listed),
      expected: rowsIn(listed).map((row) => ({ row_key: keyText(['id'], row), row_hash: VERIFY_ROW_HASHES[row] })),
    },
    {
      check: "a keyless table's copies per row hash",
      query: rowCopiesSql({ ...table, key: columns, multiset: true }, 1, both),
      expected: rowsIn(both).map((row) => ({ row_hash: VERIFY_ROW_HASHES[row], copies: '1' })),
    },
    {
      check: 'keys (id and tricky) looked up by their text, one present and one not',
      query: keysPresentSql({ ...table, key: columns.filter((column) => keys.includes(column.name)) }, [keyText(keys, 0), 'V3\u001fVnone']),
      expected: [{ row_key: keyText(keys, 0) }],
    },
    {
      check: `the digest up to a watermark on zoned_at bound as a parameter${rows.watermarkType === undefined ? '' : `, cast to ${rows.watermarkType}`}`,
      query: rangeDigestSql({ ...table, watermark }, 0, null),
      expected: digests([0], 0),
    },
  ];
}

/** A statement's result rows: the expected fields as text, in a stable order. */
export function comparedRows(rows: readonly Record<string, unknown>[], expected: readonly Record<string, string>[]): string[] {
  const fields = Object.keys(expected[0] ?? {});
  return rows.map((row) => JSON.stringify(fields.map((field) => String(row[field])))).sort();
}

/**
 * One verify line per narrowing statement, run on the verify rows of Snowflake staging (`table`,
 * rows selected by `where`), against PostgreSQL's rows.
 */
export async function verifyStatementLines(
  run: (sql: string, params: readonly string[]) => Promise<{ rows: Record<string, unknown>[] }>,
  table: string,
  where: string,
  watermarkType: string,
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const statement of verifyStatements({ dialect: 'snowflake', from: `(select * from ${table} where ${where})`, watermarkType })) {
    lines.push(await checkLine(`floe check: ${statement.check}, as PostgreSQL returns them`, async () => {
      const found = comparedRows((await run(statement.query.sql, statement.query.params)).rows, statement.expected);
      const wanted = comparedRows(statement.expected, statement.expected);
      return JSON.stringify(found) === JSON.stringify(wanted) ? '' : `returned ${found.join(' ')}; PostgreSQL: ${wanted.join(' ')}`;
    }));
  }
  return lines;
}
