import { readFileSync } from 'node:fs';
import { latestManifests, snowflakeDdlFor } from '../../cli/snowflake-plan.js';
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

describe('CLI: floe snowflake ddl plans the account from the config and the newest manifests', () => {
  it('builds tables and procedures for tables with a manifest and lists the ones still waiting', () => {
    // Prepare, Act
    const { statements, waiting } = snowflakeDdlFor(config(), [manifest]);

    // Assess
    const purposes = statements.map((statement) => statement.purpose);
    expect(purposes).toContain('raw table of shop.sales.order items');
    expect(purposes).toContain('the incremental staging update of shop.sales.order items');
    expect(statements.filter((statement) => /^create (storage integration|api integration|or replace external function)/.test(statement.sql))).toHaveLength(3);
    expect(statements[0]?.sql).toBe('create database if not exists "ANALYTICS"');
    expect(waiting).toEqual(['shop/sales.customers']);
  });

  it('takes the columns from the newest run of a table', () => {
    // Prepare
    const older: Manifest = { ...structuredClone(manifest), runId: 'old', startedAt: '2025-11-04T12:00:00+00:00', columns: manifest.columns.slice(0, 3) };

    // Act
    const latest = latestManifests([manifest, older]);

    // Assess
    expect(latest.get('shop/sales.order items')?.runId).toBe(manifest.runId);
  });

  it('refuses a DuckDB config, and a snowflake URL carrying a password', () => {
    // Prepare
    const duckdb = CONFIG.replace(/warehouse: .*/, 'warehouse: duckdb://./w.duckdb');
    const withPassword = CONFIG.replace(/warehouse: .*/, 'warehouse: snowflake://acct/DB?user=FLOE&password=secret');

    // Act
    const planDuckDb = (): unknown => snowflakeDdlFor(config(duckdb), [manifest]);
    const loadWithPassword = (): unknown => config(withPassword);

    // Assess
    expect(planDuckDb).toThrow(ConfigError);
    expect(loadWithPassword).toThrow(/warehouse: expected snowflake:\/\/<account>\/<database>/);
    expect(loadWithPassword).not.toThrow(/secret/);
  });
});
