import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';

import { runCommand } from '../../cli/run.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { loadAll } from '../check/helpers.js';
import { restoreGlobalSqlMode, withGlobalSqlMode } from '../check/server-sql-mode.js';
import { captureOutput } from '../cli/helpers.js';

const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_deletes_quoted_test';

/** Keys that break out of a string literal escaped for the wrong mode, or change meaning in it. */
const HOSTILE = ["'", '\\', "\\'", '"', '`', "o'brien", 'c:\\temp\\', "x'); drop table canary; -- "];

describe('Delete detection on MariaDB with NO_BACKSLASH_ESCAPES: keys with quotes and backslashes', () => {
  let my: mysql.Connection;
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    my = await mysql.createConnection(MYSQL_URL);
    await my.query(`drop database if exists ${SCHEMA}`);
    await my.query(`create database ${SCHEMA} character set utf8mb4`);
    await my.query(`create table ${SCHEMA}.notes (k varchar(40) primary key, body varchar(50), updated_at datetime(6) not null)`);
    await my.query(`create table ${SCHEMA}.canary (id int primary key)`);
    const rows = [...HOSTILE, ...Array.from({ length: 200 }, (_, n) => `k-${n}`)].map((k, n) => [k, `body of ${k}`, new Date(Date.UTC(2025, 0, 1, 0, 0, n))]);
    await my.query(`insert into ${SCHEMA}.notes values ?`, [rows]);
    const folder = await mkdtemp(join(tmpdir(), 'floe-deletes-quoted-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: my', '    engine: mysql', `    connection: ${MYSQL_URL.replace(/\/mysql$/, `/${SCHEMA}`)}`, '    tables:',
      `      - name: ${SCHEMA}.notes`, '        primaryKey: [k]', '        incrementalColumn: updated_at', '        deletes: detect',
    ].join('\n'));
    warehousePath = await loadAll(configFile);
  }, 120_000);

  afterAll(async () => {
    await restoreGlobalSqlMode();
    await my?.query(`drop database if exists ${SCHEMA}`);
    await my?.end();
  });

  it('marks exactly the deleted keys, and the run succeeds', async () => {
    // Prepare: every hostile key but one deleted at the source
    const deleted = HOSTILE.filter((k) => k !== "o'brien");
    await my.query(`delete from ${SCHEMA}.notes where k in (?)`, [deleted]);

    // Act
    const { code, stdout } = await withGlobalSqlMode(MYSQL_URL, 'NO_BACKSLASH_ESCAPES', () => captureOutput(() => runCommand(['--config', configFile])));

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`notes +incremental +0 +0 +0 +${deleted.length} .* ok\\n`));
    const warehouse = await DuckDbWarehouse.open(warehousePath);
    try {
      const marked = await warehouse.query(`select k from staging."my__${SCHEMA}__notes" where _floe_deleted_at is not null order by k`);
      expect(marked.map((row) => row['k'])).toEqual([...deleted].sort());
    } finally {
      await warehouse.close();
    }
    const [canary] = await my.query<mysql.RowDataPacket[]>(`select count(*) as n from information_schema.tables where table_schema = ? and table_name = 'canary'`, [SCHEMA]);
    expect(Number(canary[0]?.['n'])).toBe(1);
  });
});
