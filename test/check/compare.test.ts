import { compareTables, type CheckSide } from '../../check/compare.js';
import type { CheckedTable } from '../../check/digest-sql.js';
import type { CheckedColumn } from '../../check/canonical-sql.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const KEY: CheckedColumn[] = [{ name: 'tenant', kind: 'text' }, { name: 'id', kind: 'integer' }];
const COLUMNS: CheckedColumn[] = [...KEY, { name: 'amount', kind: 'decimal' }, { name: 'seen', kind: 'timestamptz' }];

function table(name: string): CheckedTable {
  return { dialect: 'duckdb', from: `"main"."${name}"`, key: KEY, columns: COLUMNS, watermark: { column: '"seen"', value: '2025-06-01 00:00:00+00', sqlType: 'TIMESTAMPTZ' } };
}

describe('Check: key-range comparison', () => {
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
      const drift = await compareTables({ side, table: table('a') }, { side, table: table('b') }, 50);

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
});
