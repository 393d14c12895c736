import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { findTableReferences } from '../../warehouse/gold-models.js';

describe('Warehouse: gold models', () => {
  let dir: string;
  let goldDir: string;
  let warehouse: DuckDbWarehouse;

  const model = (name: string, select: string): void => writeFileSync(join(goldDir, `${name}.sql`), `${select}\n`);
  const statuses = (results: { name: string; status: string }[]) => Object.fromEntries(results.map((result) => [result.name, result.status]));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-gold-'));
    goldDir = join(dir, 'gold');
    mkdirSync(goldDir);
    warehouse = await DuckDbWarehouse.open(join(dir, 'warehouse.duckdb'));
    await warehouse.query('create table staging.shop__orders as select 1 as id, 10 as customer_id, 500 as total_cents');
    await warehouse.query('create table staging.crm__customers as select 10 as id, \'Zoë\' as name');
  });

  afterEach(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds raw, staging and gold references, quoted or not, in any case, ignoring comments and strings', () => {
    // Prepare
    const sql = `-- reads gold.commented_out
      select * from STAGING."Shop__Orders" o join "gold".customers c using (id) join raw.x on true where c.note <> 'gold.in_string'`;

    // Act
    const references = findTableReferences(sql);

    // Assess
    expect(references).toEqual([
      { schema: 'staging', name: 'shop__orders' },
      { schema: 'gold', name: 'customers' },
      { schema: 'raw', name: 'x' },
    ]);
  });

  it("reads a quoted name holding ' or -- as one name, not as the start of a string or a comment", () => {
    // Prepare
    const sql = `select * from staging."pg__we""ird sch'ema__x""; drop table canary; --" join gold."it's" using (id) where note <> 'gold.in_string'`;

    // Act
    const references = findTableReferences(sql);

    // Assess
    expect(references).toEqual([
      { schema: 'staging', name: `pg__we"ird sch'ema__x"; drop table canary; --` },
      { schema: 'gold', name: "it's" },
    ]);
  });

  it('builds models in dependency order whatever their file names', async () => {
    // Prepare
    model('a_revenue_by_customer', 'with orders as (select * from gold.orders_enriched) select name, sum(total_cents) as revenue_cents from orders group by all;');
    model('orders_enriched', 'select o.*, c.name from staging.shop__orders o join "staging"."crm__customers" c on c.id = o.customer_id');

    // Act
    const results = await warehouse.buildGold(goldDir);

    // Assess
    expect(results.map((result) => [result.name, result.status])).toEqual([
      ['orders_enriched', 'built'],
      ['a_revenue_by_customer', 'built'],
    ]);
    expect(await warehouse.query('select * from gold.a_revenue_by_customer')).toEqual([{ name: 'Zoë', revenue_cents: 500n }]);
  });

  it('reports a failing model with its file, skips its dependents and still builds the others', async () => {
    // Prepare
    model('broken', 'select no_such_column from staging.shop__orders');
    model('uses_broken', 'select * from gold.broken');
    model('uses_uses_broken', 'select * from gold.uses_broken');
    model('independent', 'select count(*) as n from staging.crm__customers');

    // Act
    const results = await warehouse.buildGold(goldDir);

    // Assess
    expect(statuses(results)).toEqual({ broken: 'failed', uses_broken: 'skipped', uses_uses_broken: 'skipped', independent: 'built' });
    const broken = results.find((result) => result.name === 'broken');
    expect(broken?.error).toContain(join(goldDir, 'broken.sql'));
    expect(broken?.error).toContain('no_such_column');
    expect(results.find((result) => result.name === 'uses_broken')?.reason).toContain('gold.broken');
  });

  it('throws an error naming the models of a dependency cycle', async () => {
    // Prepare
    model('ping', 'select * from gold.pong');
    model('pong', 'select * from gold.ping');
    model('fine', 'select 1 as one');

    // Act
    const act = warehouse.buildGold(goldDir);

    // Assess
    await expect(act).rejects.toThrow('Gold models form a dependency cycle: ping, pong');
  });

  it('builds only the models depending, transitively, on the changed staging tables', async () => {
    // Prepare
    model('orders_enriched', 'select o.*, c.name from staging.shop__orders o join staging.crm__customers c on c.id = o.customer_id');
    model('revenue', 'select sum(total_cents) as cents from gold.orders_enriched');
    model('customer_list', 'select * from staging.crm__customers');
    model('order_count', 'select count(*) as n from staging.shop__orders');

    // Act
    const results = await warehouse.buildGold(goldDir, ['shop__orders']);

    // Assess
    expect(statuses(results)).toEqual({ orders_enriched: 'built', revenue: 'built', order_count: 'built', customer_list: 'skipped' });
    const tables = await warehouse.query("select table_name from information_schema.tables where table_schema = 'gold' order by 1");
    expect(tables.map((row) => row['table_name'])).toEqual(['order_count', 'orders_enriched', 'revenue']);
  });

  it('rebuilds models that read the changed raw table too', async () => {
    // Prepare
    await warehouse.query('create table raw.shop__orders as select 1 as id');
    model('raw_count', 'select count(*) as n from raw.shop__orders');
    model('customer_list', 'select * from staging.crm__customers');

    // Act
    const results = await warehouse.buildGold(goldDir, ['staging.shop__orders', 'raw.shop__orders']);

    // Assess
    expect(statuses(results)).toEqual({ raw_count: 'built', customer_list: 'skipped' });
  });

  it('lets a model wait, not fail, while a table it reads has not landed yet', async () => {
    // Prepare: billing has not landed; orders has.
    model('orders_with_invoices', 'select o.id, i.amount from staging.shop__orders o join staging.billing__invoices i on i.order_id = o.id');
    model('invoice_total', 'select count(*) as n from gold.orders_with_invoices');
    model('order_count', 'select count(*) as n from staging.shop__orders');

    // Act
    const results = await warehouse.buildGold(goldDir, ['staging.shop__orders']);

    // Assess
    expect(statuses(results)).toEqual({ orders_with_invoices: 'skipped', invoice_total: 'skipped', order_count: 'built' });
    expect(results.find((r) => r.name === 'orders_with_invoices')).toMatchObject({
      reason: 'waits for staging.billing__invoices, which has not landed yet',
    });
  });
});
