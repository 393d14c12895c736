import { readFileSync } from 'node:fs';
import { latestManifests, snowflakeDdlFor, tablesWithoutManifest, type CatalogReader } from '../../cli/snowflake-plan.js';
import { ConfigError, parseConfig } from '../../config/index.js';
import { parseManifest, type Manifest } from '../../events/index.js';

const manifest = parseManifest(JSON.parse(readFileSync(new URL('../fixtures/warehouse/manifest-order-items.json', import.meta.url), 'utf8')) as unknown, 'fixture');

const CONFIG = `
raw: s3://floe-raw/landing
warehouse: snowflake://myorg-myaccount/ANALYTICS?user=FLOE&warehouse=FLOE_WH&role=FLOE
snowflake:
  storageRoleArn: arn:aws:iam::123456789012:role/floe-snowflake-raw
  apiRoleArn: arn:aws:iam::123456789012:role/floe-snowflake-api
  ingestUrl: https://abc123.execute-api.eu-west-1.amazonaws.com/prod/ingest
sources:
  - name: shop
    engine: postgres
    connection: postgresql://reader@db.internal/shop
    tables:
      - name: sales.order items
        primaryKey: [order id, line]
        incrementalColumn: updated_at
      - name: sales.customers
        primaryKey: [id]
`;

const config = (text = CONFIG) => parseConfig(text, { file: 'floe.config.yaml', folder: '/tmp', env: {} });

/** The catalog reader's stand-in for these planning tests: test/cli/snowflake-ddl.test.ts reads real sources. */
const catalog = (columns: Manifest['columns']): CatalogReader => async () => columns;
const CUSTOMER_COLUMNS: Manifest['columns'] = [
  { name: 'id', arrowType: 'int64', sourceType: 'bigint', nullable: false },
  { name: 'name', arrowType: 'string', sourceType: 'text', nullable: true },
];

describe('CLI: floe snowflake ddl plans the account from the config, the newest manifests and the sources\' catalogs', () => {
  it('builds tables and procedures for every table, from its manifest or else its catalog, and a dispatcher branch for each', async () => {
    // Prepare, Act
    const statements = await snowflakeDdlFor(config(), [manifest], catalog(CUSTOMER_COLUMNS));

    // Assess
    const purposes = statements.map((statement) => statement.purpose);
    expect(purposes).toContain('raw table of shop.sales.order items');
    expect(purposes).toContain('the incremental staging update of shop.sales.order items');
    expect(purposes).toContain('raw table of shop.sales.customers');
    expect(purposes).toContain('the full staging update of shop.sales.customers');
    const dispatcher = statements.find((statement) => statement.sql.includes('"PROCESS_TABLE"'))?.sql ?? '';
    expect(dispatcher).toContain("when 'shop__sales__order items' then");
    expect(dispatcher).toContain("when 'shop__sales__customers' then");
    expect(statements.filter((statement) => /^create (storage integration|api integration|or alter external function)/.test(statement.sql))).toHaveLength(3);
    expect(statements[0]?.sql).toBe('create database if not exists "ANALYTICS"');
  });

  it('plans a procedure per table without a key from its mode: append restating what its run reads again, full replacing every row', async () => {
    // Prepare
    const text = CONFIG.replace(
      '      - name: sales.customers\n        primaryKey: [id]\n',
      '      - { name: sales.visits, mode: append, incrementalColumn: seen_at }\n      - { name: sales.tags }\n',
    );
    const columns: Manifest['columns'] = [...CUSTOMER_COLUMNS, { name: 'seen_at', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamptz', nullable: false }];

    // Act
    const statements = await snowflakeDdlFor(config(text), [manifest], catalog(columns));

    // Assess
    const procedure = (purpose: string) => statements.find((statement) => statement.purpose === purpose)?.sql ?? '';
    expect(procedure('the append staging update of shop.sales.visits')).toContain('where "SEEN_AT" >= (select min(run_rows."SEEN_AT")');
    expect(procedure('the full staging update of shop.sales.tags')).toContain('delete from "ANALYTICS"."STAGING"."SHOP__SALES__TAGS";');
    expect(procedure('the full staging update of shop.sales.tags')).not.toContain('qualify');
  });

  it('lists the tables without a manifest, whose columns must come from their source', () => {
    expect(tablesWithoutManifest(config(), [manifest]).map((table) => table.table)).toEqual(['sales.customers']);
  });

  it('takes the columns from the newest run of a table', () => {
    // Prepare
    const older: Manifest = { ...structuredClone(manifest), runId: 'old', startedAt: '2025-11-04T12:00:00+00:00', columns: manifest.columns.slice(0, 3) };

    // Act
    const latest = latestManifests([manifest, older]);

    // Assess
    expect(latest.get('shop/sales.order items')?.runId).toBe(manifest.runId);
  });

  it('makes no external stage for a local raw folder: floe run PUTs its files into an internal one', async () => {
    // Prepare
    const local = CONFIG.replace('raw: s3://floe-raw/landing', 'raw: ./raw');

    // Act
    const statements = await snowflakeDdlFor(config(local), [manifest], catalog(CUSTOMER_COLUMNS));

    // Assess
    expect(statements.some((statement) => /stage/i.test(statement.sql) && /^(create|alter) stage/.test(statement.sql))).toBe(false);
    expect(statements.some((statement) => /storage integration/.test(statement.sql))).toBe(false);
  });

  it('refuses a DuckDB config, and a snowflake URL carrying a password', async () => {
    // Prepare
    const duckdb = CONFIG.replace(/warehouse: .*/, 'warehouse: duckdb://./w.duckdb');
    const withPassword = CONFIG.replace(/warehouse: .*/, 'warehouse: snowflake://acct/DB?user=FLOE&password=secret');

    // Act
    const planDuckDb = snowflakeDdlFor(config(duckdb), [manifest], catalog(CUSTOMER_COLUMNS));
    const loadWithPassword = (): unknown => config(withPassword);

    // Assess
    await expect(planDuckDb).rejects.toThrow(ConfigError);
    expect(loadWithPassword).toThrow(/warehouse: expected snowflake:\/\/<account>\/<database>/);
    expect(loadWithPassword).not.toThrow(/secret/);
  });
});
