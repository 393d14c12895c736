import { rangeDigestSql, rowDigestSql, type CheckedTable } from '../../check/digest-sql.js';
import { rowTextSql } from '../../check/canonical-sql.js';
import { openSourceSide, type SourceSide } from '../../check/source-side.js';
import type { SourceConfig } from '../../config/index.js';
import { VERIFY_CHECK_DIGEST, VERIFY_CHECK_TEXTS, verifyCheckedColumns } from '../../cli/verify/floe-check.js';
import { comparedRows, VERIFY_ROW_HASHES, verifyHashedColumns, verifyStatements } from '../../cli/verify/statements.js';
import { VERIFY_COLUMNS } from '../../cli/verify/values.js';
import { PG_URL } from '../faults/source-table.js';

/**
 * What `floe snowflake verify` expects floe check to print from Snowflake staging is what floe check
 * prints from PostgreSQL for the same values: computed here on the real PostgreSQL, through the
 * source side floe check opens (its session settings included).
 */
describe("floe snowflake verify: floe check's expected texts are PostgreSQL's", () => {
  let side: SourceSide;
  /** The verify values as a PostgreSQL table expression: one row per verify row, one column per checked column. */
  const rows = (): string => {
    const checked = VERIFY_COLUMNS.filter((column) => column.postgres !== undefined);
    const row = (index: 0 | 1) => `select ${checked.map((column) => `${column.postgres?.[index] ?? 'null'} as "${column.name}"`).join(', ')}`;
    return `(${row(0)} union all ${row(1)}) as verify_rows`;
  };

  beforeAll(async () => {
    side = await openSourceSide({ name: 'pg', engine: 'postgres', connection: PG_URL } as SourceConfig);
  });

  afterAll(async () => {
    await side.close();
  });

  it('pins each column’s text, row by row, as PostgreSQL prints it', async () => {
    // Prepare
    const columns = verifyCheckedColumns();

    // Act
    const printed: Record<string, string[]> = {};
    for (const column of columns) {
      const result = await side.query({ sql: `select ${rowTextSql('postgres', [column])} as t from ${rows()} order by "id"`, params: [] });
      printed[column.name] = result.map((row) => String(row['t']));
    }

    // Assess
    expect(printed).toEqual(VERIFY_CHECK_TEXTS);
  });

  it('pins the digest of both rows as PostgreSQL computes it', async () => {
    // Prepare
    const columns = verifyCheckedColumns();
    const table: CheckedTable = { dialect: 'postgres', from: rows(), key: columns.slice(0, 1), columns };

    // Act
    const [digest] = await side.query(rangeDigestSql(table, 0, null));

    // Assess
    expect({ rows: digest?.['row_count'], hashSum: digest?.['hash_sum'] }).toEqual(VERIFY_CHECK_DIGEST);
  });

  it('pins each row’s hash over the columns the narrowing statements hash, as PostgreSQL computes it', async () => {
    // Prepare
    const columns = verifyHashedColumns();
    const table: CheckedTable = { dialect: 'postgres', from: rows(), key: columns.slice(0, 1), columns };

    // Act
    const hashes = await side.query(rowDigestSql(table, 0, null));

    // Assess
    expect(hashes.sort((a, b) => String(a['row_key']).localeCompare(String(b['row_key']))).map((row) => row['row_hash'])).toEqual(VERIFY_ROW_HASHES);
  });

  it('returns what verify expects for each narrowing statement, built by the same generators on PostgreSQL', async () => {
    // Prepare
    const statements = verifyStatements({ dialect: 'postgres', from: rows() });

    // Act
    const returned: Record<string, string[]> = {};
    for (const statement of statements) returned[statement.check] = comparedRows(await side.query(statement.query), statement.expected);

    // Assess
    expect(returned).toEqual(Object.fromEntries(statements.map((statement) => [statement.check, comparedRows(statement.expected, statement.expected)])));
    expect(Object.values(returned).map((found) => found.length)).toEqual([1, 1, 2, 1, 1]);
  });
});
