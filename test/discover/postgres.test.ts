import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { configSnippet } from '../../discover/config-snippet.js';
import { discoverPostgres } from '../../discover/postgres.js';
import { SourceError } from '../../discover/source-error.js';
import { PG_URL, sourceConfig, writeConfigWithSnippet } from './helpers.js';

const SCHEMA = 'floe_discover_test';

describe('Discover: PostgreSQL', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  const source = sourceConfig('clr', 'postgres', PG_URL);

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`
      create table ${SCHEMA}.order_lines (line_no int, order_id bigint, modified_at timestamptz, note text, primary key (order_id, line_no));
      create table ${SCHEMA}.users (id bigint primary key, updated_at timestamp, last_modified timestamp not null, name text);
      create table ${SCHEMA}.audit_log (at timestamp, message text);
      create table ${SCHEMA}."it's ""quoted""" (code text primary key, updated_at date);
      create table ${SCHEMA}.events (id bigint primary key, updated_at timestamp) partition by range (id);
      create table ${SCHEMA}.events_1 partition of ${SCHEMA}.events for values from (0) to (100);
      create view ${SCHEMA}.user_names as select name from ${SCHEMA}.users;`);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it('describes base tables, not views or partitions, with their key in key order, a NOT NULL updated_at-like column and an integer key to partition on', async () => {
    // Prepare
    const options = { schema: SCHEMA };

    // Act
    const tables = await discoverPostgres(source, options);

    // Assess
    expect(tables).toEqual([
      { schema: SCHEMA, table: 'audit_log', name: `${SCHEMA}.audit_log`, primaryKey: [], incrementalColumn: null, partitionColumn: null },
      { schema: SCHEMA, table: 'events', name: `${SCHEMA}.events`, primaryKey: ['id'], incrementalColumn: 'updated_at', partitionColumn: 'id' },
      { schema: SCHEMA, table: `it's "quoted"`, name: `${SCHEMA}.it's "quoted"`, primaryKey: ['code'], incrementalColumn: null, partitionColumn: null },
      { schema: SCHEMA, table: 'order_lines', name: `${SCHEMA}.order_lines`, primaryKey: ['order_id', 'line_no'], incrementalColumn: 'modified_at', partitionColumn: null },
      { schema: SCHEMA, table: 'users', name: `${SCHEMA}.users`, primaryKey: ['id'], incrementalColumn: 'last_modified', partitionColumn: 'id' },
    ]);
  });

  it('prints entries to paste under tables: and flags the table without a primary key as a comment', async () => {
    // Prepare
    const tables = await discoverPostgres(source, { schema: SCHEMA });

    // Act
    const snippet = configSnippet(tables);

    // Assess
    expect(snippet).toBe(
      [
        '      # no primary key: floe_discover_test.audit_log — floe needs one to merge; add a key or list it with primaryKey: [..] of unique columns',
        '      - name: floe_discover_test.events',
        '        primaryKey: [id]',
        '        incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '        partitionColumn: id',
        '        partitions: 2',
        `      - name: "floe_discover_test.it's \\"quoted\\""`,
        '        primaryKey: [code]',
        '      - name: floe_discover_test.order_lines',
        '        primaryKey: [order_id, line_no]',
        '        incrementalColumn: modified_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: floe_discover_test.users',
        '        primaryKey: [id]',
        '        incrementalColumn: last_modified   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '        partitionColumn: id',
        '        partitions: 2',
        '',
      ].join('\n'),
    );
  });

  it('emits YAML that loadConfig accepts as the source tables, with the same names and columns', async () => {
    // Prepare
    const tables = await discoverPostgres(source, { schema: SCHEMA });
    const file = await writeConfigWithSnippet('postgres', configSnippet(tables));

    // Act
    const config = await loadConfig(file, { env: { SOURCE_URL: PG_URL } });

    // Assess
    expect(config.sources[0]?.tables.map((t) => [t.name, t.primaryKey, t.mode, t.partitions])).toEqual([
      [`${SCHEMA}.events`, ['id'], 'incremental', 2],
      [`${SCHEMA}.it's "quoted"`, ['code'], 'full', 1],
      [`${SCHEMA}.order_lines`, ['order_id', 'line_no'], 'incremental', 1],
      [`${SCHEMA}.users`, ['id'], 'incremental', 2],
    ]);
  });

  it('looks in every non-system schema when no schema is given', async () => {
    // Prepare
    const options = {};

    // Act
    const tables = await discoverPostgres(source, options);

    // Assess
    const names = tables.map((t) => t.name);
    expect(names).toContain(`${SCHEMA}.users`);
    expect(names.some((name) => name.startsWith('pg_catalog.') || name.startsWith('information_schema.'))).toBe(false);
  });

  it('throws a SourceError naming the source, without the connection string or password, when it cannot connect', async () => {
    // Prepare
    const unreachable = sourceConfig('clr', 'postgres', 'postgresql://floe:s3cr3t-pw@127.0.0.1:1/clr');

    // Act
    const failure = discoverPostgres(unreachable, {});

    // Assess
    await expect(failure).rejects.toThrow(SourceError);
    await expect(failure).rejects.toThrow(/^source 'clr': connecting to PostgreSQL failed: /);
    await expect(failure).rejects.not.toThrow(/s3cr3t|postgresql:\/\//);
  });
});
