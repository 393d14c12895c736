import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

describe('Warehouse: DuckDB sessions in UTC, as Snowflake sessions are', () => {
  it('casts a TIMESTAMPTZ to its UTC date whatever the machine’s zone (run with TZ=America/Los_Angeles to see it)', async () => {
    // Prepare
    const warehouse = await DuckDbWarehouse.open(':memory:');

    // Act
    const rows = await warehouse.query("select current_setting('TimeZone') as zone, cast(cast(timestamptz '2025-11-06 01:30:00+00' as date) as varchar) as day");

    // Assess: sql/gold models group by these dates (their headers say UTC)
    expect(rows).toEqual([{ zone: 'UTC', day: '2025-11-06' }]);
    await warehouse.close();
  });
});
