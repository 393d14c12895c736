import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { captureOutput } from '../cli/helpers.js';
import { inWarehouse, loadAll } from './helpers.js';
import { restoreGlobalSqlMode, withGlobalSqlMode } from './server-sql-mode.js';

const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_quoted_keys_test';
const STAGING = `staging."my__${SCHEMA}__notes"`;

/** Keys that break out of a string literal escaped for the wrong mode, or change meaning in it. */
const HOSTILE = ["'", '\\', "\\'", '"', '`', "o'brien", 'c:\\temp\\', "x'); drop table canary; -- "];

interface Repaired {
  before: TableCheck[];
  repairs: { runId: string | null; source: string; table: string; keys: number; failure: string | null }[];
  after: TableCheck[];
}

/** A DuckDB string literal: staging is edited by the test, not by floe. */
const duckText = (value: string) => `'${value.replaceAll("'", "''")}'`;

describe('floe check on MariaDB with NO_BACKSLASH_ESCAPES: keys with quotes and backslashes', () => {
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
    const folder = await mkdtemp(join(tmpdir(), 'floe-quoted-keys-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: my', '    engine: mysql', `    connection: ${MYSQL_URL.replace(/\/mysql$/, `/${SCHEMA}`)}`, '    tables:',
      `      - name: ${SCHEMA}.notes`, '        primaryKey: [k]', '        incrementalColumn: updated_at',
    ].join('\n'));
    warehousePath = await loadAll(configFile);
  }, 120_000);

  afterAll(async () => {
    await restoreGlobalSqlMode();
    await my?.query(`drop database if exists ${SCHEMA}`);
    await my?.end();
  });

  it('finds the drift at those keys, repairs it, and counts a key changed after the watermark apart', async () => {
    // Prepare: drift in staging and at the source, each at a key a mis-escaped literal would break
    await inWarehouse(warehousePath, [
      `delete from ${STAGING} where k = ${duckText("'")}`,
      `update ${STAGING} set body = 'corrupt' where k = ${duckText("\\'")}`,
      `insert into ${STAGING} select * replace (${duckText('it\\\'s "extra"')} as k) from ${STAGING} where k = 'k-1'`,
    ]);
    await my.query(`delete from ${SCHEMA}.notes where k = ?`, ['`']);
    await my.query(`update ${SCHEMA}.notes set body = 'changed', updated_at = '2030-01-01' where k = ?`, ['c:\\temp\\']);

    // Act
    const { code, stdout } = await withGlobalSqlMode(MYSQL_URL, 'NO_BACKSLASH_ESCAPES', () =>
      captureOutput(() => checkCommand(['--config', configFile, '--repair', '--json'])));

    // Assess: exactly those keys, found, repaired, in sync after
    const result = JSON.parse(stdout) as Repaired;
    const drift = result.before[0]?.drift;
    expect([drift?.missing, drift?.extra, drift?.different, drift?.changedSinceWatermark]).toEqual([
      [{ k: "'" }], [{ k: '`' }, { k: 'it\\\'s "extra"' }], [{ k: "\\'" }], 1,
    ]);
    expect(result.repairs.map((run) => [run.keys, run.failure])).toEqual([[4, null]]);
    expect(result.after.map((check) => [check.status, check.drift?.sourceRows, check.drift?.stagingRows])).toEqual([['in sync', 206, 207]]);
    expect(code).toBe(0);
    const [canary] = await my.query<mysql.RowDataPacket[]>(`select count(*) as n from information_schema.tables where table_schema = ? and table_name = 'canary'`, [SCHEMA]);
    expect(Number(canary[0]?.['n'])).toBe(1);
  });
});
