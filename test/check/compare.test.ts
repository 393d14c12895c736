import mysql from 'mysql2/promise';
import pg from 'pg';

import { compareTables, type CheckSide } from '../../check/compare.js';
import type { CheckedTable } from '../../check/digest-sql.js';
import type { CheckedColumn } from '../../check/canonical-sql.js';
import { openSourceSide } from '../../check/source-side.js';
import { SourceConfigSchema } from '../../config/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const KEY: CheckedColumn[] = [{ name: 'tenant', kind: 'text' }, { name: 'id', kind: 'integer' }];
const COLUMNS: CheckedColumn[] = [...KEY, { name: 'amount', kind: 'decimal' }, { name: 'seen', kind: 'timestamptz' }];

function table(name: string): CheckedTable {
  return { dialect: 'duckdb', from: `"main"."${name}"`, key: KEY, columns: COLUMNS, watermark: { column: '"seen"', value: '2025-06-01 00:00:00+00', sqlType: 'TIMESTAMPTZ' } };
}

describe('Check: hash-range comparison', () => {
  it('narrows the ranges that differ, over a composite key, to exactly the rows that differ', async () => {
    // Prepare: two copies of 20 000 rows, then drift in one, and a row changed after the watermark
    const warehouse = await DuckDbWarehouse.open(':memory:');
    const side: CheckSide = { query: ({ sql, params }) => warehouse.query(sql, params) };
    try {
      await warehouse.query(`create table a as select case when g % 3 = 0 then null else 't' || (g % 5) end as tenant, g as id,
        (g * 1.10)::DECIMAL(12,2) as amount, TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(g) as seen from range(20000) t(g)`);
      await warehouse.query('create table b as select * from a');
      await warehouse.query(`delete from b where id in (17, 4242)`);
      await warehouse.query(`update b set amount = amount + 1 where id = 777`);
      await warehouse.query(`update b set tenant = 'moved' where id = 12001`);
      await warehouse.query(`update a set seen = TIMESTAMPTZ '2030-01-01 00:00:00+00' where id = 5`);

      // Act: a row limit of 50 forces the narrowing down to single rows
      const drift = await compareTables({ side, table: table('a') }, { side, table: table('b') }, { rowLimit: 50 });

      // Assess
      expect(drift.rounds).toBeGreaterThan(1);
      expect(drift).toMatchObject({
        sourceRows: 19999,
        stagingRows: 19998,
        missing: ['N\u001fV4242', 'Vt1\u001fV12001', 'Vt2\u001fV17'],
        extra: ['Vmoved\u001fV12001'],
        different: ['N\u001fV777'],
        changedSinceWatermark: 1,
      });
    } finally {
      await warehouse.close();
    }
  });

  it('compares a table without a key as a multiset: a copy too many or too few is drift, found by narrowing, listed once per copy', async () => {
    // Prepare: 20 000 rows, many in identical pairs; then one copy of a pair dropped, one row tripled, one changed
    const warehouse = await DuckDbWarehouse.open(':memory:');
    const side: CheckSide = { query: ({ sql, params }) => warehouse.query(sql, params) };
    const columns: CheckedColumn[] = [{ name: 'tenant', kind: 'text' }, { name: 'amount', kind: 'decimal' }];
    const keyless = (name: string): CheckedTable => ({ dialect: 'duckdb', from: `"main"."${name}"`, key: columns, columns, multiset: true });
    try {
      await warehouse.query(`create table a as select 't' || (g % 10000) as tenant, ((g % 10000) * 1.10)::DECIMAL(12,2) as amount from range(20000) t(g)`);
      await warehouse.query('create table b as select * from a');
      await warehouse.query(`delete from b where rowid = (select min(rowid) from b where tenant = 't42')`);
      await warehouse.query(`insert into b select * from a where tenant = 't7' limit 1`);
      await warehouse.query(`update b set amount = 0 where tenant = 't9999' and rowid = (select min(rowid) from b where tenant = 't9999')`);

      // Act
      const drift = await compareTables({ side, table: keyless('a') }, { side, table: keyless('b') }, { rowLimit: 50 });

      // Assess
      expect(drift.rounds).toBeGreaterThan(1);
      expect(drift).toMatchObject({
        sourceRows: 20000,
        stagingRows: 20000,
        missing: ['Vt42\u001fV46.2', 'Vt9999\u001fV10998.9'],
        extra: ['Vt7\u001fV7.7', 'Vt9999\u001fV0'],
        different: [],
        changedSinceWatermark: 0,
      });
    } finally {
      await warehouse.close();
    }
  });

  it('narrows with the ranges passed as one parameter, and looks rows past the watermark up, whichever the source: PostgreSQL and MySQL against DuckDB', async () => {
    // Prepare: the same 3 000 rows at each source and in DuckDB, then drift, and a row changed after the watermark on each side
    const key: CheckedColumn[] = [{ name: 'id', kind: 'integer', notNull: true }];
    const columns: CheckedColumn[] = [...key, { name: 'name', kind: 'text' }, { name: 'amount', kind: 'decimal' }, { name: 'seen', kind: 'integer' }];
    const warehouse = await DuckDbWarehouse.open(':memory:');
    const client = new pg.Client({ connectionString: PG_URL });
    const connection = await mysql.createConnection(MYSQL_URL);
    const database = `floe_compare_${process.pid}`;
    try {
      await client.connect();
      await client.query(`drop table if exists public.${database}; create table public.${database} (id integer primary key, name text, amount numeric(10,2), seen integer)`);
      await client.query(`insert into public.${database} select g, 'n' || g, g * 1.25, g from generate_series(1, 3000) g`);
      await client.query(`delete from public.${database} where id = 7; update public.${database} set seen = 9999, name = 'later' where id = 2000`);
      await connection.query(`create database \`${database}\``);
      await connection.query(`create table \`${database}\`.t (id int primary key, name varchar(20), amount decimal(10,2), seen int)`);
      await connection.query(`insert into \`${database}\`.t select seq, concat('n', seq), seq * 1.25, seq from seq_1_to_3000`);
      await connection.query(`delete from \`${database}\`.t where id = 7`);
      await connection.query(`update \`${database}\`.t set seen = 9999, name = 'later' where id = 2000`);
      await warehouse.query(`create table s as select g::INTEGER as id, 'n' || g as name, (g * 1.25)::DECIMAL(10,2) as amount, g::INTEGER as seen from range(1, 3001) t(g)`);
      await warehouse.query('update s set amount = amount + 1 where id = 1234');
      await warehouse.query('update s set seen = 9999 where id = 2500');
      await warehouse.query(`insert into s values (99999, 'n99999', 1, 1)`);
      const staging = { side: { query: ({ sql, params }) => warehouse.query(sql, params) } satisfies CheckSide, table: { dialect: 'duckdb', from: '"main"."s"', key, columns, watermark: { column: '"seen"', value: '5000', sqlType: 'INTEGER' } } as CheckedTable };
      // The sessions floe check opens: a snapshot read only, values bound on the server.
      const sources = [
        { config: { name: 'pg', engine: 'postgres', connection: PG_URL }, table: { dialect: 'postgres', from: `"public"."${database}"`, key, columns, watermark: { column: '"seen"', value: '5000' } } as CheckedTable },
        { config: { name: 'my', engine: 'mysql', connection: MYSQL_URL }, table: { dialect: 'mysql', from: `\`${database}\`.\`t\``, key, columns, watermark: { column: '`seen`', value: '5000' } } as CheckedTable },
      ];

      // Act
      const drifts = [];
      for (const source of sources) {
        const side = await openSourceSide(SourceConfigSchema.parse({ ...source.config, tables: [{ name: 't', primaryKey: ['id'] }] }));
        try {
          drifts.push(await compareTables({ side, table: source.table }, staging, { rowLimit: 20 }));
        } finally {
          await side.close();
        }
      }

      // Assess
      for (const drift of drifts) {
        expect(drift.rounds).toBeGreaterThanOrEqual(3);
        expect(drift).toMatchObject({ sourceRows: 2998, stagingRows: 3000, missing: [], extra: ['V7', 'V99999'], different: ['V1234'], changedSinceWatermark: 2 });
      }
    } finally {
      await client.query(`drop table if exists public.${database}`);
      await client.end();
      await connection.query(`drop database if exists \`${database}\``);
      await connection.end();
      await warehouse.close();
    }
  });

  it('lists a sample of the keys, and says so, when more rows differ than it lists', async () => {
    // Prepare: staging lost every row
    const warehouse = await DuckDbWarehouse.open(':memory:');
    const side: CheckSide = { query: ({ sql, params }) => warehouse.query(sql, params) };
    const key: CheckedColumn[] = [{ name: 'id', kind: 'integer', notNull: true }];
    try {
      await warehouse.query('create table a as select g as id from range(3000) t(g)');
      await warehouse.query('create table b as select * from a limit 0');
      const of = (name: string): CheckedTable => ({ dialect: 'duckdb', from: `"main"."${name}"`, key, columns: key });

      // Act
      const drift = await compareTables({ side, table: of('a') }, { side, table: of('b') }, { rowLimit: 50, maxRowsListed: 500 });

      // Assess
      expect(drift).toMatchObject({ sourceRows: 3000, stagingRows: 0, extra: [], different: [], sampled: true });
      expect(drift.missing.length).toBeGreaterThanOrEqual(50);
      expect(drift.missing.length).toBeLessThan(500);
    } finally {
      await warehouse.close();
    }
  });
});
