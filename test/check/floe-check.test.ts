import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { captureOutput } from '../cli/helpers.js';
import { inWarehouse, loadAll } from './helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_check_test';
const PG_STAGING = `staging."pg__${SCHEMA}__events"`;
const MY_STAGING = `staging."my__${SCHEMA}__items"`;

async function check(configFile: string): Promise<{ code: number; tables: TableCheck[] }> {
  const { code, stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--json']));
  return { code, tables: JSON.parse(stdout) as TableCheck[] };
}

describe('floe check: source against staging', () => {
  const pgClient = new pg.Client({ connectionString: PG_URL });
  let mysqlConnection: mysql.Connection;
  let configFile: string;
  let warehousePath: string;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.events (id bigint primary key, label text, amount numeric(12,2), ratio double precision,
      flag boolean, day date, payload bytea, updated_at timestamptz(6))`);
    await pgClient.query(`insert into ${SCHEMA}.events
      select g, case when g % 7 = 0 then null else 'event ' || g || ' é' end, g * 1.25, g / 8.0, g % 2 = 0, date '2025-01-01' + (g % 300),
        decode(md5(g::text), 'hex'), timestamptz '2025-01-01 00:00:00+00' + g * interval '1 millisecond'
      from generate_series(1, 30000) g`);
    mysqlConnection = await mysql.createConnection(MYSQL_URL);
    await mysqlConnection.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection.query(`create database ${SCHEMA} character set utf8mb4`);
    await mysqlConnection.query(`create table ${SCHEMA}.items (id int primary key, name varchar(50), price decimal(10,2), updated_at datetime(6))`);
    await mysqlConnection.query(`insert into ${SCHEMA}.items values (1, 'tea 🍵', 3.50, '2025-01-01 10:00:00.000001'), (2, 'café', 2.10, '2025-01-01 10:00:01'), (3, null, 4.00, '2025-01-01 10:00:02')`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-check-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${SCHEMA}.events`, '        primaryKey: [id]', '        incrementalColumn: updated_at',
      '  - name: my', '    engine: mysql', `    connection: ${MYSQL_URL.replace(/\/mysql$/, `/${SCHEMA}`)}`, '    tables:',
      `      - name: ${SCHEMA}.items`, '        primaryKey: [id]', '        incrementalColumn: updated_at',
    ].join('\n'));
    warehousePath = await loadAll(configFile);
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient.end();
    await mysqlConnection?.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection?.end();
  });

  it('finds every table in sync after a load, with counts from both sides', async () => {
    // Act
    const { code, tables } = await check(configFile);

    // Assess
    expect(code).toBe(0);
    expect(tables.map((t) => [t.source, t.status, t.drift?.sourceRows, t.drift?.stagingRows])).toEqual([
      ['pg', 'in sync', 30000, 30000],
      ['my', 'in sync', 3, 3],
    ]);
  });

  it('finds exactly the rows deleted, inserted and changed behind floe\'s back, and not rows changed after the watermark', async () => {
    // Prepare: drift in the source and in staging, and one honest change after the watermark
    await pgClient.query(`delete from ${SCHEMA}.events where id = 10`);
    await pgClient.query(`update ${SCHEMA}.events set label = 'changed later', updated_at = timestamptz '2030-01-01 00:00:00+00' where id = 40`);
    await mysqlConnection.query(`update ${SCHEMA}.items set price = 9.99 where id = 2`);
    await inWarehouse(warehousePath, [
      `delete from ${PG_STAGING} where id in (30, 20031)`,
      `update ${PG_STAGING} set amount = amount + 0.01 where id = 20`,
      `update ${PG_STAGING} set payload = null where id = 25000`,
      `insert into ${PG_STAGING} select * replace (99999 as id) from ${PG_STAGING} where id = 1`,
      `update ${MY_STAGING} set name = 'tea' where id = 1`,
    ]);

    // Act
    const { code, tables } = await check(configFile);

    // Assess
    expect(code).toBe(1);
    const [events, items] = tables;
    expect(events).toMatchObject({
      status: 'drift',
      drift: { missing: [{ id: 20031 }, { id: 30 }], extra: [{ id: 10 }, { id: 99999 }], different: [{ id: 20 }, { id: 25000 }], changedSinceWatermark: 1 },
    });
    expect(items).toMatchObject({ status: 'drift', drift: { missing: [], extra: [], different: [{ id: 1 }, { id: 2 }], changedSinceWatermark: 0 } });
  });

  it('prints a summary a person can read, with sample keys, and each digest round as it ends', async () => {
    // Act
    const { code, stdout, stderr } = await captureOutput(() => checkCommand(['--config', configFile, '--source', 'pg']));

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(/^table\s+result\s+source rows\s+staging rows\s+missing\s+extra\s+different\s+changed since watermark\s+seconds$/m);
    expect(stdout).toMatch(new RegExp(`^pg/${SCHEMA}\\.events\\s+drift\\s+29998\\s+29999\\s+2\\s+2\\s+2\\s+1\\s`, 'm'));
    expect(stdout).toContain(`pg/${SCHEMA}.events missing keys: 20031, 30`);
    expect(stdout).toContain('1 table(s) checked, 1 with drift');
    expect(stderr).toMatch(new RegExp(`^  pg/${SCHEMA}\\.events: round 1, whole table: 29,998 source rows, 29,999 staging rows in [\\d.]+ s( \\([\\d,]+ rows/s\\))?, 1 differ, holding 29,999 rows$`, 'm'));
    expect(stderr).toMatch(new RegExp(`^  pg/${SCHEMA}\\.events: round 2, [\\d,]+ ranges of 3 hex digits: .*, [1-9] differ, holding \\d+ rows$`, 'm'));
  });
});
