import pg from 'pg';

import { rowTextSql } from '../../check/canonical-sql.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const COLUMN = [{ name: 'x', kind: 'float' }] as const;

/** Doubles from random bit patterns (every exponent, subnormals included), values around powers of two, and the edges. */
function doubles(count: number): number[] {
  let seed = 20261201;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const view = new DataView(new ArrayBuffer(8));
  const values: number[] = [0, -0, 1, -1, 125, 0.1, 1e15, -1e15, 1e16, 999999999999999.9, 1234567890123456.8, 1e-4, 1e-5, 5e-324, -2.2250738585072009e-308, 2.2250738585072014e-308, Number.MAX_VALUE, 1 / 3, 2 ** 53, 2 ** 53 + 2];
  while (values.length < count) {
    view.setUint32(0, (next() << 1) ^ next());
    view.setUint32(4, (next() << 1) ^ next());
    const value = view.getFloat64(0);
    if (Number.isFinite(value)) values.push(value);
    // Just below and at powers of two, where log2 rounds.
    const power = 2 ** ((next() % 2000) - 1000);
    values.push(power, power * (1 - Number.EPSILON / 2));
  }
  return values;
}

describe('Check: a double renders the same in PostgreSQL and DuckDB', () => {
  it('renders 60 000 doubles, NaN, infinities and signed zeros as the same bits on both sides', async () => {
    // Prepare
    const values = doubles(60_000).map((value) => (Object.is(value, -0) ? '-0' : String(value)));
    const texts = [...values, 'NaN', 'Infinity', '-Infinity'];
    const client = new pg.Client({ connectionString: PG_URL });
    const warehouse = await DuckDbWarehouse.open(':memory:');
    try {
      await client.connect();

      // Act
      const source = (await client.query(`select ${rowTextSql('postgres', COLUMN)} as text from unnest($1::float8[]) with ordinality as t(x, n) order by n`, [texts])).rows;
      const staged = await warehouse.query(
        `select ${rowTextSql('duckdb', COLUMN)} as text from (select unnest(string_split($1, ',')::DOUBLE[]) as x, generate_subscripts(string_split($1, ','), 1) as n) order by n`,
        [texts.join(',')],
      );

      // Assess
      expect(staged.map((row) => row['text'])).toEqual(source.map((row) => row.text));
      expect(source.slice(0, 3).map((row) => row.text)).toEqual(['V0000000000000000', 'V8000000000000000', 'V3ff0000000000000']);
      expect(source.slice(-3).map((row) => row.text)).toEqual(['VNaN', 'V7ff0000000000000', 'Vfff0000000000000']);
    } finally {
      await client.end();
      await warehouse.close();
    }
  });
});
