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
      create table \`it's "quoted"\` (code varchar(20) primary key, updated_at date);
      create view user_names as select name from users;`);
  });

  afterAll(async () => {
    await admin.query(`drop database if exists ${DATABASE}`);
    await admin.end();
  });

  it('describes the base tables of the connection database with their key in key order and suggested columns', async () => {
    // Prepare
    const expectedSchema = DATABASE;

    // Act
    const tables = await discoverMysql(source);

    // Assess
    expect(tables).toEqual([
      { schema: expectedSchema, table: 'audit_log', name: 'audit_log', primaryKey: [], incrementalColumn: null, partitionColumn: null },
      { schema: expectedSchema, table: `it's "quoted"`, name: `it's "quoted"`, primaryKey: ['code'], incrementalColumn: null, partitionColumn: null },
      { schema: expectedSchema, table: 'order_lines', name: 'order_lines', primaryKey: ['order_id', 'line_no'], incrementalColumn: 'updated_at', partitionColumn: null },
      { schema: expectedSchema, table: 'users', name: 'users', primaryKey: ['id'], incrementalColumn: 'changed_at', partitionColumn: 'id' },
    ]);
  });

  it('prints entries to paste under tables: and flags the table without a primary key as a comment', async () => {
    // Prepare
    const tables = await discoverMysql(source);

    // Act
    const snippet = configSnippet(tables);

    // Assess
    expect(snippet).toBe(
      [
        '      # no primary key: audit_log — floe needs one to merge; add a key or list it with primaryKey: [..] of unique columns',
        `      - name: "it's \\"quoted\\""`,
        '        primaryKey: [code]',
        '      - name: order_lines',
        '        primaryKey: [order_id, line_no]',
        '        incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '      - name: users',
        '        primaryKey: [id]',
        '        incrementalColumn: changed_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
        '        partitionColumn: id',
        '        partitions: 2',
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
      [`it's "quoted"`, ['code'], 'full', 1],
      ['order_lines', ['order_id', 'line_no'], 'incremental', 1],
      ['users', ['id'], 'incremental', 2],
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
