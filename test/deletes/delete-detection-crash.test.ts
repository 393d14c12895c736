import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { floe } from '../faults/project.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_deletes_crash';

/**
 * `floe run` killed (SIGKILL, FLOE_FAULT) around delete detection, then run again: the rows
 * deleted at the source end up marked exactly once, with no row lost, and gold (which counts live
 * rows only) catches up, even though the recovery run finds nothing new to mark.
 */
const POINTS = ['load-and-merge:after-merge', 'load-and-merge:after-deletes', 'load-and-merge:after-watermark', 'load-and-merge:before-stage-merged'];

describe('Delete detection: a floe run killed around it', () => {
  const client = new pg.Client({ connectionString: PG_URL });

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it.each(POINTS)('ends with exactly the deleted keys marked and gold up to date when killed at %s', async (point) => {
    // Prepare: a table loaded once, then rows deleted at the source
    const table = `t_${point.replace(/[^a-z]+/g, '_')}`;
    await client.query(`create table ${SCHEMA}.${table} (id bigint primary key, amount int, updated_at timestamptz(6) not null)`);
    await client.query(`insert into ${SCHEMA}.${table} select g, g, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 400) g`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-deletes-crash-'));
    const configFile = join(folder, 'floe.config.yaml');
    const staging = `pg__${SCHEMA}__${table}`;
    await mkdir(join(folder, 'gold'));
    await writeFile(join(folder, 'gold', 'live_rows.sql'), `select count(*) as live_rows from staging."${staging}" where _floe_deleted_at is null\n`);
    await writeFile(configFile, [
      'raw: ./raw', 'state: ./state', 'warehouse: duckdb://./warehouse.duckdb', 'gold: ./gold', 'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    retry: {"attempts": 1}', '    tables:',
      `      - name: ${SCHEMA}.${table}`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        deletes: detect',
    ].join('\n'));
    expect((await floe(['run', '--config', configFile])).code).toBe(0);
    await client.query(`delete from ${SCHEMA}.${table} where id in (2, 200, 399)`);

    // Act: killed at the point, the lease freed, run again
    const faulted = await floe(['run', '--config', configFile], { FLOE_FAULT: point });
    const state = new LocalStateStore(join(folder, 'state'));
    const held = (await state.getTableState('pg', `${SCHEMA}.${table}`)).activeRun;
    if (held) expect((await floe(['unlock', held.runId, '--config', configFile])).code).toBe(0);
    const recovery = await floe(['run', '--config', configFile]);

    // Assess
    expect(faulted.signal).toBe('SIGKILL');
    expect(recovery.code).toBe(0);
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    try {
      const marked = await warehouse.query(`select id from staging."${staging}" where _floe_deleted_at is not null order by id`);
      expect(marked.map((row) => Number(row['id']))).toEqual([2, 200, 399]);
      const [counts] = await warehouse.query(`select count(*) as total, count(distinct id) as keys from staging."${staging}"`);
      expect([Number(counts?.['total']), Number(counts?.['keys'])]).toEqual([400, 400]);
      const [gold] = await warehouse.query('select live_rows from gold.live_rows');
      expect(Number(gold?.['live_rows'])).toBe(397);
    } finally {
      await warehouse.close();
    }
    expect((await state.getTableState('pg', `${SCHEMA}.${table}`)).activeRun).toBeNull();
  }, 120_000);
});
