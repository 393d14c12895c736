import mysql from 'mysql2/promise';
import pg from 'pg';

import { preparedColumnsSql, rowTextSql } from '../../check/canonical-sql.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const COLUMN = [{ name: 'x', kind: 'float' }] as const;
const MYSQL_COLUMN = [{ name: 'x', kind: 'mysql float' }] as const;
const MYSQL_FLOAT_COLUMN = [{ name: 'f', kind: 'mysql float' }] as const;

/** DuckDB's rendering of the given doubles (shortest texts), in order. */
async function stagedTexts(column: typeof COLUMN | typeof MYSQL_COLUMN, texts: readonly string[]): Promise<unknown[]> {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    const prepared = preparedColumnsSql('duckdb', column).map((item) => `, ${item}`).join('');
    const rows = await warehouse.query(
      `select ${rowTextSql('duckdb', column)} as text from (select *${prepared} from (select unnest(string_split($1, ',')::DOUBLE[]) as x, generate_subscripts(string_split($1, ','), 1) as n)) order by n`,
      [texts.join(',')],
    );
    return rows.map((row) => row['text']);
  } finally {
    await warehouse.close();
  }
}

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
    try {
      await client.connect();

      // Act
      const source = (await client.query(`select ${rowTextSql('postgres', COLUMN)} as text from unnest($1::float8[]) with ordinality as t(x, n) order by n`, [texts])).rows;
      const staged = await stagedTexts(COLUMN, texts);

      // Assess
      expect(staged).toEqual(source.map((row) => row.text));
      expect(source.slice(0, 3).map((row) => row.text)).toEqual(['V0000000000000000', 'V8000000000000000', 'V3ff0000000000000']);
      expect(source.slice(-3).map((row) => row.text)).toEqual(['VNaN', 'V7ff0000000000000', 'Vfff0000000000000']);
    } finally {
      await client.end();
    }
  });
});

describe('Check: a double renders the same in MySQL and DuckDB', () => {
  it('renders 20 000 doubles and FLOATs as the same shortest digits on both sides, whichever notation each prints', async () => {
    // Prepare: a DOUBLE and a FLOAT column; the FLOAT holds each value in range rounded to single precision
    const values = doubles(20_000).map(String);
    const connection = await mysql.createConnection(MYSQL_URL);
    const database = `floe_float_digits_${process.pid}`;
    try {
      await connection.query(`create database \`${database}\``);
      await connection.query(`create table \`${database}\`.t (n int primary key, x double, f float)`);
      for (let start = 0; start < values.length; start += 1_000) {
        const rows = values.slice(start, start + 1_000).map((value, index) => `(${start + index}, ${value}, ${Math.abs(Number(value)) < 3e38 ? value : 'null'})`);
        await connection.query(`insert into \`${database}\`.t values ${rows.join(', ')}`);
      }
      const [stored] = (await connection.query(`select cast(cast(f as double) as char) as f from \`${database}\`.t where f is not null order by n`)) as unknown as [{ f: string }[]];

      // Act
      const [doubleRows] = (await connection.query(`select ${rowTextSql('mysql', MYSQL_COLUMN)} as text from \`${database}\`.t order by n`)) as unknown as [{ text: string }[]];
      const [floatRows] = (await connection.query(`select ${rowTextSql('mysql', MYSQL_FLOAT_COLUMN)} as text from \`${database}\`.t where f is not null order by n`)) as unknown as [{ text: string }[]];
      const stagedDoubles = await stagedTexts(MYSQL_COLUMN, values);
      const stagedFloats = await stagedTexts(MYSQL_COLUMN, stored.map((row) => row.f));

      // Assess
      expect(stagedDoubles).toEqual(doubleRows.map((row) => row.text));
      expect(stagedFloats).toEqual(floatRows.map((row) => row.text));
      expect(floatRows.length).toBeGreaterThan(10_000);
      expect(doubleRows.slice(0, 8).map((row) => row.text)).toEqual(['V0', 'V0', 'V1e1', 'V-1e1', 'V125e3', 'V1e0', 'V1e16', 'V-1e16']);
    } finally {
      await connection.query(`drop database if exists \`${database}\``);
      await connection.end();
    }
  });
});
