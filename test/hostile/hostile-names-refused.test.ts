import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { floe, type FloeResult } from '../faults/project.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../faults/source-table.js';

/**
 * Names floe cannot carry are refused with a message naming the table and the column: before
 * anything runs when the config names them, at the step that meets them otherwise, with nothing
 * of the table landing past that step.
 */

const SCHEMA = uniqueName('floe_refused');

async function project(tables: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-refused-'));
  await writeFile(
    join(folder, 'floe.config.yaml'),
    ['raw: ./raw', 'state: ./state', 'warehouse: duckdb://./warehouse.duckdb', 'gold: ./gold', 'sources:', tables, ''].join('\n'),
  );
  return folder;
}

describe('floe run: names floe cannot carry', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let my: mysql.Connection;

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.cased (id int primary key, "a" text, "A" text); insert into ${SCHEMA}.cased values (1, 'x', 'y')`);
    my = await mysql.createConnection({ uri: MYSQL_URL });
    await my.query(`drop database if exists ${SCHEMA}`);
    await my.query(`create database ${SCHEMA}`);
    await my.query(`create table ${SCHEMA}.placeholder (id int primary key, \`p%sq\` text)`);
    await my.query(`insert into ${SCHEMA}.placeholder values (1, 'x')`);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
    await my.query(`drop database if exists ${SCHEMA}`);
    await my.end();
  });

  it('refuses a config naming a table or key column the job cannot take, before anything runs', async () => {
    // Prepare
    const folder = await project(
      [
        '  - name: pg',
        '    engine: postgres',
        `    connection: ${PG_URL}`,
        '    tables:',
        '      - name: "-x; drop table canary"',
        '        primaryKey: [id]',
        `      - name: ${SCHEMA}.cased`,
        '        primaryKey: ["a,b"]',
      ].join('\n'),
    );

    // Act
    const result = await floe(['run', '--config', join(folder, 'floe.config.yaml')]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("sources[0].tables[0].name: table '-x; drop table canary' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the table");
    expect(result.stderr).toContain("sources[0].tables[1].primaryKey[0]: column 'a,b' contains ',', which separates the columns of the job's --primary-key list; rename the column");
    expect((await readdir(folder)).sort()).toEqual(['floe.config.yaml']);
  });

  describe('met by a step', () => {
    let folder: string;
    let result: FloeResult;

    beforeAll(async () => {
      folder = await project(
        [
          '  - name: pg',
          '    engine: postgres',
          `    connection: ${PG_URL}`,
          '    tables:',
          `      - name: ${SCHEMA}.cased`,
          '        primaryKey: [id]',
          '  - name: my',
          '    engine: mysql',
          `    connection: ${MYSQL_URL}/${SCHEMA}`,
          '    tables:',
          '      - name: placeholder',
          '        primaryKey: [id]',
        ].join('\n'),
      );
      result = await floe(['run', '--config', join(folder, 'floe.config.yaml')]);
    });

    it('fails the run of a table whose columns differ only in case, naming both, before raw or staging exist', async () => {
      // Act
      const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
      const tables = await warehouse.query("select table_schema, table_name from information_schema.tables where table_name like 'pg__%'").finally(() => warehouse.close());

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`FAILED load-and-merge: Columns a and A of table ${SCHEMA}\\.cased of source pg \\(run r[^)]+\\) differ only in case`));
      expect(tables).toEqual([]);
    });

    it("fails the MySQL table with a column holding '%s' (the driver's placeholder), naming table and column, before any file lands", async () => {
      // Assess
      expect(result.stdout).toContain(`FAILED extract: table ${SCHEMA}.placeholder: identifier 'p%sq' contains '%s', which the MySQL driver cannot quote safely; rename it in the source`);
      expect(existsSync(join(folder, 'raw', 'MySQL'))).toBe(false);
    });
  });
});
