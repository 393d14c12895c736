import { readFileSync, writeFileSync } from 'node:fs';

import { rowHashSql } from '../../check/canonical-sql.js';
import { CheckError } from '../../check/check-error.js';
import { keysPresentSql, rangeDigestSql, rowCopiesSql, rowDigestSql, type CheckedTable } from '../../check/digest-sql.js';
import { snowflakeDialectIn } from '../../warehouse/snowflake-dialect.js';
import { verifyCheckedColumns } from '../../cli/verify/floe-check.js';

const fixtures = new URL('../fixtures/check/snowflake/', import.meta.url);

/** Golden files: `UPDATE_GOLDEN=1 npm test -- test/check/snowflake-check-sql.test.ts` rewrites them; review the diff by eye. */
function expectGolden(name: string, sql: string): void {
  const golden = new URL(name, fixtures);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, `${sql};\n`);
  expect(`${sql};\n`).toBe(readFileSync(golden, 'utf8'));
}

/** A staging table with a column of every kind floe check compares on Snowflake (the verify table's), keyed by id, up to a watermark. */
const columns = verifyCheckedColumns();
const staging: CheckedTable = {
  dialect: 'snowflake',
  from: snowflakeDialectIn('ANALYTICS').qualified({ schema: 'staging', name: 'pg__shop__orders' }),
  key: columns.filter((column) => column.name === 'id'),
  columns,
  watermark: { column: '"ZONED_AT"', value: '2025-11-06 01:30:00+00', sqlType: 'TIMESTAMP_TZ' },
};

/**
 * floe check's Snowflake statements, pinned as text: fakesnow runs them with what
 * test/fakesnow_server.py teaches it, and `floe snowflake verify` runs each of them on a real account
 * against PostgreSQL's (cli/verify/floe-check.ts, cli/verify/statements.ts).
 */
describe("floe check: Snowflake's side as SQL", () => {
  it('hashes a row of every value kind, arrays of every element type included', () => {
    expectGolden('row-hash.sql', `select ${rowHashSql('snowflake', columns)} from ${staging.from}`);
  });

  it('digests hash ranges, narrowing within the ranges that differed, with lower-case result names', () => {
    const { sql, params } = rangeDigestSql(staging, 2, { length: 1, prefixes: ['0', 'a'] });
    expectGolden('range-digest.sql', sql);
    expect(params).toEqual(['2025-11-06 01:30:00+00', '["0","a"]']);
  });

  it('lists the rows of the ranges that differ by key, and looks keys up by their text', () => {
    expectGolden('row-digest.sql', rowDigestSql(staging, 3, ['00a']).sql);
    expectGolden('keys-present.sql', keysPresentSql(staging, ['V1']).sql);
  });

  it('counts the copies of each row of a table without a key', () => {
    expectGolden('row-copies.sql', rowCopiesSql({ ...staging, key: columns, multiset: true }, 0, null).sql);
  });

  it('refuses a MySQL float, naming the column: Snowflake has no exact way to its shortest digits', () => {
    expect(() => rowHashSql('snowflake', [{ name: 'ratio', kind: 'mysql float' }])).toThrow(
      new CheckError(
        "column ratio: floe check cannot compare a MySQL float or double on a Snowflake warehouse yet: from MySQL a double compares by its shortest decimal digits, which Snowflake's SQL has no exact way to (nor MySQL's to its bits, which floe compares from PostgreSQL)",
      ),
    );
  });
});
