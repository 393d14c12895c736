import mysql from 'mysql2/promise';

import { loadConfig } from '../../config/index.js';
import { configSnippet } from '../../discover/config-snippet.js';
import { discoverMysql } from '../../discover/mysql.js';
import { SourceError } from '../../discover/source-error.js';
import { MYSQL_URL, sourceConfig, writeConfigWithSnippet } from './helpers.js';

const DATABASE = 'floe_discover_test';
const SERVER_URL = MYSQL_URL.replace(/\/[^/]*$/, '/');

describe('Discover: MySQL', () => {
  let admin: mysql.Connection;
  const source = sourceConfig('shop', 'mysql', MYSQL_URL);

  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: SERVER_URL, multipleStatements: true });
    await admin.query(`drop database if exists ${DATABASE}; create database ${DATABASE}; use ${DATABASE}`);
    await admin.query(`
      create table order_lines (line_no int, order_id bigint, updated_at datetime(6) null, note text, primary key (order_id, line_no));
      create table users (id int unsigned primary key, UpdatedAt datetime null, changed_at timestamp(6) not null default current_timestamp(6), name text);
      create table audit_log (at datetime, message text);
      create table access_log (path varchar(200), logged_at datetime(6) not null default current_timestamp(6), status int);
      create table tag_links (tag varchar(50) not null, post_id bigint not null, note text, unique key by_post_tag (post_id, tag));
      create table sessions (token varchar(64), seen_at datetime, unique key by_token (token));
      create table page_views (url varchar(100), viewed_at timestamp not null default current_timestamp on update current_timestamp);
      create table \`it's "quoted"\` (code varchar(20) primary key, created date);
      create table film (film_id smallint unsigned primary key, title varchar(128), updated_at datetime null,
        last_update timestamp not null default current_timestamp on update current_timestamp, key idx_last_update (last_update));
      create view user_names as select name from users;`);
  });

  afterAll(async () => {
    await admin.query(`drop database if exists ${DATABASE}`);
    await admin.end();
  });

  it('proposes the column the server sets ON UPDATE CURRENT_TIMESTAMP over one named like updated_at, saying why', async () => {
    // Act
    const tables = await discoverMysql(source);

    // Assess
    expect(tables.map((t) => [t.name, t.primaryKey, t.incrementalColumn, t.incrementalEvidence, t.partitionColumn, t.partitions])).toEqual([
      ['access_log', [], 'logged_at', 'stamped on insert by its default CURRENT_TIMESTAMP, NOT NULL, not indexed: each run scans the table', null, 1],
      ['audit_log', [], null, null, null, 1],
      ['film', ['film_id'], 'last_update', 'set ON UPDATE CURRENT_TIMESTAMP, NOT NULL, indexed', null, 1],
      [`it's "quoted"`, ['code'], null, null, null, 1],
      ['order_lines', ['order_id', 'line_no'], 'updated_at', 'named like a last-change time, nullable: rows where it is NULL are seen only by full runs, not indexed: each run scans the table', null, 1],
      ['page_views', [], null, null, null, 1],
      ['sessions', [], null, null, null, 1],
      ['tag_links', ['post_id', 'tag'], null, null, null, 1],
      ['users', ['id'], 'changed_at', 'named like a last-change time, NOT NULL, not indexed: each run scans the table', null, 1],
    ]);
    expect(tables.every((t) => t.schema === DATABASE && t.estimatedRows === 0)).toBe(true);
  });

  it('proposes for a table without a primary key: a unique key over NOT NULL columns as the key, append by a column stamped on insert, else full', async () => {
    // Act: sessions' unique key is over a nullable column; page_views' time changes ON UPDATE
    const tables = await discoverMysql(source);

    // Assess
    const keyless = tables.filter((t) => ['access_log', 'audit_log', 'page_views', 'sessions', 'tag_links'].includes(t.table));
    expect(keyless.map((t) => [t.table, t.mode, t.primaryKey, t.keyEvidence, t.modeEvidence])).toEqual([
      ['access_log', 'append', [], null, 'no primary key; rows taken as only ever inserted, as in a log: each run adds the new ones (a row updated at the source would be added again)'],
      ['audit_log', 'full', [], null, 'no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept'],
      ['page_views', 'full', [], null, 'no primary key, and its rows change (viewed_at: set ON UPDATE CURRENT_TIMESTAMP), which only a key could merge: each run replaces the table, duplicate rows kept'],
      ['sessions', 'full', [], null, 'no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept'],
      ['tag_links', 'full', ['post_id', 'tag'], 'no primary key; unique index by_post_tag on NOT NULL columns post_id, tag identifies each row, so it serves as the key', null],
    ]);
  });

  it('prints entries to paste under tables:, each with its size and why its incremental column, and each table without a primary key with its mode and why', async () => {
    // Prepare
    const tables = await discoverMysql(source);

    // Act: sizes are the server's estimates, so the test reads them as a pattern
    const snippet = configSnippet(tables).replace(/ {3}# ~0 rows, ~[\d.]+ KiB$/gm, '   # ~0 rows, ~N KiB');

    // Assess
    expect(snippet).toBe(
      [
        '      - name: access_log   # ~0 rows, ~N KiB',
        '        # no primary key; rows taken as only ever inserted, as in a log: each run adds the new ones (a row updated at the source would be added again)',
        '        mode: append',
        '        # logged_at: stamped on insert by its default CURRENT_TIMESTAMP, NOT NULL, not indexed: each run scans the table',
        '        incrementalColumn: logged_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: audit_log   # ~0 rows, ~N KiB',
        '        # no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept',
        '        mode: full',
        '      - name: film   # ~0 rows, ~N KiB',
        '        primaryKey: [film_id]',
        '        # last_update: set ON UPDATE CURRENT_TIMESTAMP, NOT NULL, indexed',
        '        incrementalColumn: last_update   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        `      - name: "it's \\"quoted\\""   # ~0 rows, ~N KiB`,
        '        primaryKey: [code]',
        '        # full mode: no column the database sets on update, nor one named like updated_at',
        '      - name: order_lines   # ~0 rows, ~N KiB',
        '        primaryKey: [order_id, line_no]',
        '        # updated_at: named like a last-change time, nullable: rows where it is NULL are seen only by full runs, not indexed: each run scans the table',
        '        incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: page_views   # ~0 rows, ~N KiB',
        '        # no primary key, and its rows change (viewed_at: set ON UPDATE CURRENT_TIMESTAMP), which only a key could merge: each run replaces the table, duplicate rows kept',
        '        mode: full',
        '      - name: sessions   # ~0 rows, ~N KiB',
        '        # no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept',
        '        mode: full',
        '      - name: tag_links   # ~0 rows, ~N KiB',
        '        # no primary key; unique index by_post_tag on NOT NULL columns post_id, tag identifies each row, so it serves as the key',
        '        primaryKey: [post_id, tag]',
        '        # full mode: no column the database sets on update, nor one named like updated_at',
        '      - name: users   # ~0 rows, ~N KiB',
        '        primaryKey: [id]',
        '        # changed_at: named like a last-change time, NOT NULL, not indexed: each run scans the table',
        '        incrementalColumn: changed_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '',
      ].join('\n'),
    );
  });

  it('emits YAML that loadConfig accepts as the source tables, with the same names and columns', async () => {
    // Prepare
    const tables = await discoverMysql(source);
    const file = await writeConfigWithSnippet('mysql', configSnippet(tables));

    // Act
    const config = await loadConfig(file, { env: { SOURCE_URL: MYSQL_URL } });

    // Assess
    expect(config.sources[0]?.tables.map((t) => [t.name, t.primaryKey, t.mode, t.partitions])).toEqual([
      ['access_log', [], 'append', 1],
      ['audit_log', [], 'full', 1],
      ['film', ['film_id'], 'incremental', 1],
      [`it's "quoted"`, ['code'], 'full', 1],
      ['order_lines', ['order_id', 'line_no'], 'incremental', 1],
      ['page_views', [], 'full', 1],
      ['sessions', [], 'full', 1],
      ['tag_links', ['post_id', 'tag'], 'full', 1],
      ['users', ['id'], 'incremental', 1],
    ]);
  });

  it('throws a SourceError naming the source, without the connection string or password, when it cannot connect', async () => {
    // Prepare
    const unreachable = sourceConfig('shop', 'mysql', 'mysql://floe:s3cr3t-pw@127.0.0.1:1/shop');

    // Act
    const failure = discoverMysql(unreachable);

    // Assess
    await expect(failure).rejects.toThrow(SourceError);
    await expect(failure).rejects.toThrow(/^source 'shop': connecting to MySQL failed: /);
    await expect(failure).rejects.not.toThrow(/s3cr3t|mysql:\/\//);
  });
});
