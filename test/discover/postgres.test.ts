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
      create table ${SCHEMA}.access_log (path text, logged_at timestamptz not null default now(), status int);
      create table ${SCHEMA}.tag_links (tag text not null, post_id bigint not null, note text, unique (post_id, tag));
      create table ${SCHEMA}.sessions (token text unique, seen_at timestamp);
      create unique index sessions_lower_token on ${SCHEMA}.sessions (lower(token));
      create table ${SCHEMA}."it's ""quoted""" (code text primary key, created date);
      create table ${SCHEMA}.accounts (id bigint primary key, updated_at timestamptz, touched timestamptz not null default now());
      create index on ${SCHEMA}.accounts (touched);
      create function ${SCHEMA}.touch() returns trigger language plpgsql as $$ begin NEW.touched := now(); return NEW; end $$;
      create trigger accounts_touch before update on ${SCHEMA}.accounts for each row execute function ${SCHEMA}.touch();
      create table ${SCHEMA}.events (id bigint primary key, updated_at timestamp) partition by range (id);
      create table ${SCHEMA}.events_1 partition of ${SCHEMA}.events for values from (0) to (100);
      create view ${SCHEMA}.user_names as select name from ${SCHEMA}.users;`);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it('describes base tables, not views or partitions, proposing the column a trigger sets on update over one named like updated_at, saying why', async () => {
    // Act
    const tables = await discoverPostgres(source, { schema: SCHEMA });

    // Assess
    expect(tables.map((t) => [t.table, t.primaryKey, t.incrementalColumn, t.incrementalEvidence, t.partitionColumn, t.partitions])).toEqual([
      ['access_log', [], 'logged_at', 'stamped on insert by its default now(), NOT NULL, not indexed: each run scans the table', null, 1],
      ['accounts', ['id'], 'touched', 'set by trigger accounts_touch on update, NOT NULL, indexed', null, 1],
      ['audit_log', [], null, null, null, 1],
      ['events', ['id'], 'updated_at', 'named like a last-change time, nullable: rows where it is NULL are seen only by full runs, not indexed: each run scans the table', null, 1],
      [`it's "quoted"`, ['code'], null, null, null, 1],
      ['order_lines', ['order_id', 'line_no'], 'modified_at', 'named like a last-change time, nullable: rows where it is NULL are seen only by full runs, not indexed: each run scans the table', null, 1],
      ['sessions', [], null, null, null, 1],
      ['tag_links', ['post_id', 'tag'], null, null, null, 1],
      ['users', ['id'], 'last_modified', 'named like a last-change time, NOT NULL, not indexed: each run scans the table', null, 1],
    ]);
    // Never analyzed: PostgreSQL has no row estimate yet, and says so
    expect(tables.map((t) => t.estimatedRows)).toEqual([null, null, null, null, null, null, null, null, null]);
  });

  it('proposes for a table without a primary key: a unique constraint over NOT NULL columns as the key, append by a column stamped on insert, else full', async () => {
    // Act: sessions' unique index is over a nullable column, and its other over an expression: no key
    const tables = await discoverPostgres(source, { schema: SCHEMA });

    // Assess
    const keyless = tables.filter((t) => ['access_log', 'audit_log', 'sessions', 'tag_links'].includes(t.table));
    expect(keyless.map((t) => [t.table, t.mode, t.primaryKey, t.keyEvidence, t.modeEvidence])).toEqual([
      ['access_log', 'append', [], null, 'no primary key; rows taken as only ever inserted, as in a log: each run adds the new ones (a row updated at the source would be added again)'],
      ['audit_log', 'full', [], null, 'no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept'],
      ['sessions', 'full', [], null, 'no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept'],
      ['tag_links', 'full', ['post_id', 'tag'], 'no primary key; unique index tag_links_post_id_tag_key on NOT NULL columns post_id, tag identifies each row, so it serves as the key', null],
    ]);
  });

  it('prints entries to paste under tables:, each with its size and why its incremental column, and each table without a primary key with its mode and why', async () => {
    // Prepare
    const tables = await discoverPostgres(source, { schema: SCHEMA });

    // Act: sizes are the server's, so the test reads them as a pattern
    const snippet = configSnippet(tables).replace(/ {3}# rows not estimated yet, ~[\d.]+ (B|KiB)$/gm, '   # rows not estimated yet, ~N');

    // Assess
    expect(snippet).toBe(
      [
        '      - name: floe_discover_test.access_log   # rows not estimated yet, ~N',
        '        # no primary key; rows taken as only ever inserted, as in a log: each run adds the new ones (a row updated at the source would be added again)',
        '        mode: append',
        '        # logged_at: stamped on insert by its default now(), NOT NULL, not indexed: each run scans the table',
        '        incrementalColumn: logged_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: floe_discover_test.accounts   # rows not estimated yet, ~N',
        '        primaryKey: [id]',
        '        # touched: set by trigger accounts_touch on update, NOT NULL, indexed',
        '        incrementalColumn: touched   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: floe_discover_test.audit_log   # rows not estimated yet, ~N',
        '        # no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept',
        '        mode: full',
        '      - name: floe_discover_test.events   # rows not estimated yet, ~N',
        '        primaryKey: [id]',
        '        # updated_at: named like a last-change time, nullable: rows where it is NULL are seen only by full runs, not indexed: each run scans the table',
        '        incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        `      - name: "floe_discover_test.it's \\"quoted\\""   # rows not estimated yet, ~N`,
        '        primaryKey: [code]',
        '        # full mode: no column the database sets on update, nor one named like updated_at',
        '      - name: floe_discover_test.order_lines   # rows not estimated yet, ~N',
        '        primaryKey: [order_id, line_no]',
        '        # modified_at: named like a last-change time, nullable: rows where it is NULL are seen only by full runs, not indexed: each run scans the table',
        '        incrementalColumn: modified_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: floe_discover_test.sessions   # rows not estimated yet, ~N',
        '        # no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept',
        '        mode: full',
        '      - name: floe_discover_test.tag_links   # rows not estimated yet, ~N',
        '        # no primary key; unique index tag_links_post_id_tag_key on NOT NULL columns post_id, tag identifies each row, so it serves as the key',
        '        primaryKey: [post_id, tag]',
        '        # full mode: no column the database sets on update, nor one named like updated_at',
        '      - name: floe_discover_test.users   # rows not estimated yet, ~N',
        '        primaryKey: [id]',
        '        # last_modified: named like a last-change time, NOT NULL, not indexed: each run scans the table',
        '        incrementalColumn: last_modified   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
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
      [`${SCHEMA}.access_log`, [], 'append', 1],
      [`${SCHEMA}.accounts`, ['id'], 'incremental', 1],
      [`${SCHEMA}.audit_log`, [], 'full', 1],
      [`${SCHEMA}.events`, ['id'], 'incremental', 1],
      [`${SCHEMA}.it's "quoted"`, ['code'], 'full', 1],
      [`${SCHEMA}.order_lines`, ['order_id', 'line_no'], 'incremental', 1],
      [`${SCHEMA}.sessions`, [], 'full', 1],
      [`${SCHEMA}.tag_links`, ['post_id', 'tag'], 'full', 1],
      [`${SCHEMA}.users`, ['id'], 'incremental', 1],
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
