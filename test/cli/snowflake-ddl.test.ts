import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { snowflakeCommand } from '../../cli/snowflake.js';
import { MYSQL_URL, PG_URL } from '../faults/source-table.js';
import { captureOutput } from './helpers.js';

const SCHEMA = 'floe_sf_ddl';

/**
 * Issue 15, finding 1: a fresh account. No table of the config was ever extracted, so there is no
 * manifest; `floe snowflake ddl` reads each table's columns from the real PostgreSQL and MariaDB
 * catalogs through the extraction job's own code, and prints every table, procedure and the
 * dispatcher (a CASE with a WHEN per table: Snowflake's grammar has no CASE without one,
 * https://docs.snowflake.com/en/sql-reference/snowflake-scripting/case), all names qualified with
 * the database, and the grants.
 */
describe('CLI: floe snowflake ddl on a config whose tables were never extracted', () => {
  let folder: string;
  let configFile: string;
  const pgClient = new pg.Client({ connectionString: PG_URL });
  let my: mysql.Connection;

  beforeAll(async () => {
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.orders (id bigint primary key, customer text, amount numeric(12,2), payload json, photo bytea, updated_at timestamptz(6))`);
    my = await mysql.createConnection({ uri: MYSQL_URL });
    await my.query(`drop database if exists ${SCHEMA}`);
    await my.query(`create database ${SCHEMA}`);
    await my.query(`create table ${SCHEMA}.items (id bigint unsigned primary key, name varchar(40), price decimal(10,2), changed_at datetime(6))`);
    folder = await mkdtemp(join(tmpdir(), 'floe-sf-ddl-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'raw: s3://floe-raw/landing',
      'state: ./state',
      'warehouse: snowflake://myorg-myaccount/ANALYTICS?user=FLOE&warehouse=FLOE_WH&role=FLOE',
      'snowflake:',
      '  adminRole: ACCOUNTADMIN',
      '  storageRoleArn: arn:aws:iam::123456789012:role/floe-snowflake-raw',
      'sources:',
      '  - name: pg',
      '    engine: postgres',
      `    connection: ${PG_URL}`,
      '    tables:',
      `      - name: ${SCHEMA}.orders`,
      '        primaryKey: [id]',
      '        incrementalColumn: updated_at',
      '  - name: my',
      '    engine: mysql',
      `    connection: ${MYSQL_URL}/${SCHEMA}`,
      '    tables:',
      '      - name: items',
      '        primaryKey: [id]',
      '',
    ].join('\n'));
  });

  afterAll(async () => {
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient.end();
    await my.query(`drop database if exists ${SCHEMA}`);
    await my.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('prints raw and staging tables typed as the job will type them, a procedure per table, a dispatcher branch per table, and the grants', async () => {
    // Act
    const { code, stdout, stderr } = await captureOutput(() => snowflakeCommand(['ddl', '--config', configFile]));

    // Assess
    expect(code).toBe(0);
    expect(stderr).toContain(`pg/${SCHEMA}.orders: no run yet; columns from the source's catalog`);
    expect(stdout).toContain([
      `create table if not exists "ANALYTICS"."RAW"."PG__${SCHEMA.toUpperCase()}__ORDERS" (`,
      '  "ID" NUMBER(19,0),',
      '  "CUSTOMER" VARCHAR(134217728),',
      '  "AMOUNT" NUMBER(12,2),',
      '  "PAYLOAD" VARCHAR(134217728),',
      '  "PHOTO" BINARY(67108864),',
      '  "UPDATED_AT" TIMESTAMP_TZ(6),',
    ].join('\n'));
    expect(stdout).toContain(`create table if not exists "ANALYTICS"."STAGING"."PG__${SCHEMA.toUpperCase()}__ORDERS" (`);
    expect(stdout).toContain('  "PAYLOAD" VARIANT,');
    expect(stdout).toContain([
      `create table if not exists "ANALYTICS"."RAW"."MY__ITEMS" (`,
      '  "ID" NUMBER(20,0),',
      '  "NAME" VARCHAR(134217728),',
      '  "PRICE" NUMBER(10,2),',
      '  "CHANGED_AT" TIMESTAMP_NTZ(6),',
    ].join('\n'));
    expect(stdout).toContain(`create or replace procedure "ANALYTICS"."FLOE"."PROCESS__PG__${SCHEMA.toUpperCase()}__ORDERS"(run_id varchar)\ncopy grants`);
    expect(stdout).toContain('create or replace procedure "ANALYTICS"."FLOE"."PROCESS__MY__ITEMS"(run_id varchar)\ncopy grants');
    expect(stdout).toContain(`    when 'pg__${SCHEMA}__orders' then\n      call "ANALYTICS"."FLOE"."PROCESS__PG__${SCHEMA.toUpperCase()}__ORDERS"(:run_id);`);
    expect(stdout).toContain(`    when 'my__items' then\n      call "ANALYTICS"."FLOE"."PROCESS__MY__ITEMS"(:run_id);`);
    expect(stdout).toContain('grant usage, create schema on database "ANALYTICS" to role "FLOE";');
    expect(stdout).toContain('grant usage on integration "FLOE_RAW" to role "FLOE";');
    // Every floe schema is named inside floe's database
    expect(stdout.match(/(?<!"ANALYTICS"\.)"(RAW|STAGING|GOLD|FLOE)"\./g)).toBeNull();
  });

  it('says which table it could not read, and why, when the source does not have it', async () => {
    // Prepare
    await my.query(`drop table ${SCHEMA}.items`);

    // Act
    const act = snowflakeCommand(['ddl', '--config', configFile]);

    // Assess
    await expect(act).rejects.toThrow(`table my/items: reading its columns from the source failed: table ${SCHEMA}.items not found`);
    await my.query(`create table ${SCHEMA}.items (id bigint unsigned primary key)`);
  });
});
