import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { captureOutput } from '../cli/helpers.js';
import { inWarehouse, loadAll } from './helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_check_wide_test';
/** More columns than PostgreSQL passes one function (100), and more nullable ones than two null masks hold (60 each). */
const COLUMNS = 150;

describe('floe check: a table wider than one call of concat_ws', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let folder: string;
  let configFile: string;
  let warehouse: string;

  beforeAll(async () => {
    await client.connect();
    const columns = Array.from({ length: COLUMNS }, (_, i) => `c${i} ${i % 2 === 0 ? 'integer' : 'text'}`);
    const values = Array.from({ length: COLUMNS }, (_, i) => `case when (g + ${i}) % 7 = 0 then null else ${i % 2 === 0 ? `g * ${i}` : `'v' || g || '-${i}'`} end`);
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.wide (id integer primary key, ${columns.join(', ')})`);
    await client.query(`insert into ${SCHEMA}.wide select g, ${values.join(', ')} from generate_series(1, 200) g`);
    folder = await mkdtemp(join(tmpdir(), 'floe-check-wide-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, ['sources:', '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:', `      - name: ${SCHEMA}.wide`, '        primaryKey: [id]', '        mode: full'].join('\n'));
    warehouse = await loadAll(configFile);
  }, 60_000);

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('checks a 151-column table in sync, then finds the one value changed and the one NULL filled in staging', async () => {
    // Act
    const before = await captureOutput(() => checkCommand(['--config', configFile, '--json']));
    await inWarehouse(warehouse, [
      `update staging."pg__${SCHEMA}__wide" set c149 = 'changed' where id = 5`,
      // c146 of row 1 is NULL at the source ((1 + 146) % 7 = 0), in the third null mask's range.
      `update staging."pg__${SCHEMA}__wide" set c146 = 0 where id = 1`,
    ]);
    const after = await captureOutput(() => checkCommand(['--config', configFile, '--json']));

    // Assess
    const [inSync] = JSON.parse(before.stdout) as TableCheck[];
    const [drifted] = JSON.parse(after.stdout) as TableCheck[];
    expect([before.code, inSync?.status, inSync?.drift?.sourceRows]).toEqual([0, 'in sync', 200]);
    expect([after.code, drifted?.drift?.different, drifted?.drift?.missing, drifted?.drift?.extra]).toEqual([1, [{ id: 1 }, { id: 5 }], [], []]);
  });
});
