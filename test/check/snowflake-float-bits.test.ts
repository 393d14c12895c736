import pg from 'pg';

import { rowTextSql } from '../../check/canonical-sql.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { PG_URL } from '../faults/source-table.js';

const COLUMN = [{ name: 'x', kind: 'float' }] as const;

/** The double just above `value` (toward +infinity), for a positive finite one. */
function nextUp(value: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

/** The double just below `value`, for a positive one. */
function nextDown(value: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

/**
 * Where Snowflake's arithmetic of the bits (check/float-sql.ts, snowflakeFloatBits) could overflow
 * or round across a power of two: the largest double and its neighbours below 2^1024, 2^1023 and
 * its neighbours, the subnormal edge, the values above 2^-50 whose subnormal scaling would overflow,
 * the smallest double; each signed both ways. fakesnow computes with DuckDB, whose doubles overflow
 * to infinity without an error, so this proves the bits, not the guards against overflow; the
 * largest double is in `floe snowflake verify`'s f64 column, which a user runs on a real account.
 */
const EDGES = [
  Number.MAX_VALUE, nextDown(Number.MAX_VALUE), 2 ** 1023, nextUp(2 ** 1023), nextDown(2 ** 1023), 1.5 * 2 ** 1023, 2 ** 1022, 1e308,
  2 ** -50, nextUp(2 ** -50), 2 ** -49, 1, 0.1, 1 / 3, 2 ** 53 + 2,
  2 ** -1022, nextUp(2 ** -1022), nextDown(2 ** -1022), 2 ** -1023, 5e-324, 1e-320,
];
/** Powers of two over the whole range, each with its neighbours, where LOG may round across to the next exponent. */
const POWERS = Array.from({ length: Math.floor(2097 / 5) }, (_, step) => 2 ** (-1074 + step * 5)).flatMap((power) => [power, nextUp(power), ...(power > 5e-324 ? [nextDown(power)] : [])]);
const TEXTS = [...[...EDGES, ...POWERS].flatMap((value) => [String(value), String(-value)]), '0', '-0', 'NaN', 'Infinity', '-Infinity'];

describe('Check: a double renders the same in PostgreSQL and Snowflake', () => {
  let server: FakesnowServer;

  beforeAll(async () => {
    server = await startFakesnow();
    const session = await SnowflakeSession.open(server.settings('FLOAT_DB'));
    await session.run({ sql: 'create database if not exists "FLOAT_DB"', params: [] }, 'test');
    await session.close();
  });

  afterAll(async () => {
    await server.stop();
  });

  it("prints the largest doubles, 2^1023's neighbours, powers of two, subnormals, NaN, infinities and signed zeros as PostgreSQL's float8send bits", async () => {
    // Prepare: the same texts on both sides, each cast to a double there
    const client = new pg.Client({ connectionString: PG_URL });
    const session = await SnowflakeSession.open(server.settings('FLOAT_DB'));
    const values = TEXTS.map((text, index) => `(${index}, '${text}')`).join(', ');
    try {
      await client.connect();

      // Act
      const source = (await client.query(`select ${rowTextSql('postgres', COLUMN)} as text from unnest($1::float8[]) with ordinality as t(x, n) order by n`, [TEXTS])).rows;
      const staged = (await session.run({ sql: `select ${rowTextSql('snowflake', COLUMN)} as "text" from (select column1 as "N", cast(column2 as float) as "X" from values ${values}) order by "N"`, params: [] }, 'test')).rows;

      // Assess
      expect(staged.map((row) => row['text'])).toEqual(source.map((row: { text: string }) => row.text));
      expect(source.slice(0, 2).map((row: { text: string }) => row.text)).toEqual(['V7fefffffffffffff', 'Vffefffffffffffff']);
      expect(source.slice(-5).map((row: { text: string }) => row.text)).toEqual(['V0000000000000000', 'V8000000000000000', 'VNaN', 'V7ff0000000000000', 'Vfff0000000000000']);
    } finally {
      await client.end();
      await session.close();
    }
  });
});
