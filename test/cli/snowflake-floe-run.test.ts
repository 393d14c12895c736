import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { PG_URL } from '../faults/source-table.js';
import { floeEnvironmentFor, startFakesnow, type FakesnowServer } from '../fakesnow.js';

const SCHEMA = 'floe_sf_run';

/**
 * `floe run` against a Snowflake warehouse from one machine: the extraction job writes the raw
 * folder, the driver PUTs the run's files into the internal stage `floe.raw_local`, then COPY,
 * MERGE and gold, as on AWS. On fakesnow (test/fakesnow_server.py lists what it is taught); with
 * `raw: s3://…` the files are read through the external stage instead (test/lambda/snowflake-steps.test.ts).
 */
describe('floe run with a snowflake:// warehouse, on the fakesnow emulator', () => {
  let server: FakesnowServer;
  let folder: string;
  const client = new pg.Client({ connectionString: PG_URL });
  const saved = { ...process.env };

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.orders (id bigint primary key, customer text, amount numeric(12,2), updated_at timestamptz(6))`);
    await client.query(`insert into ${SCHEMA}.orders select g, 'customer ' || g, g * 1.5, timestamptz '2025-11-05 23:30:00+00' + g * interval '1 hour' from generate_series(1, 40) g`);
    server = await startFakesnow();
    const session = await SnowflakeSession.open(server.settings('RUN_DB'));
    await session.run({ sql: 'create database if not exists "RUN_DB"', params: [] }, 'test');
    await session.close();
    folder = await mkdtemp(join(tmpdir(), 'floe-sf-run-'));
    await mkdir(join(folder, 'gold'));
    await writeFile(join(folder, 'gold', 'orders_per_day.sql'), `select cast(updated_at as date) as day, count(*) as orders from staging.pg__${SCHEMA}__orders group by 1\n`);
    await writeFile(join(folder, 'floe.config.yaml'), [
      'raw: ./raw', 'state: ./state', 'gold: ./gold',
      'warehouse: snowflake://floe-test/RUN_DB?user=floe',
      'sources:', '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${SCHEMA}.orders`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '',
    ].join('\n'));
    Object.assign(process.env, floeEnvironmentFor(server));
  });

  afterAll(async () => {
    process.env = saved;
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('extracts, PUTs the raw files to the internal stage, COPYs, MERGEs and builds gold, then loads only what changed', async () => {
    // Prepare
    const config = await loadConfig(join(folder, 'floe.config.yaml'));

    // Act
    const [first] = await runLocally(config);
    await client.query(`update ${SCHEMA}.orders set customer = 'changed', updated_at = timestamptz '2025-12-31 12:00:00+00' where id = 7`);
    const [second] = await runLocally(config);

    // Assess
    expect(first?.failure).toBeNull();
    expect(first?.run).toMatchObject({ status: 'succeeded', inserted: 40 });
    expect(second?.failure).toBeNull();
    expect(second?.run).toMatchObject({ status: 'succeeded', updated: 1 });
    const check = await SnowflakeSession.open(server.settings('RUN_DB'));
    const run = async (sql: string) => (await check.run({ sql, params: [] }, 'test')).rows;
    const staged = await run(`select "ID" || '|' || "CUSTOMER" || '|' || to_varchar("AMOUNT") as "row" from staging.pg__${SCHEMA}__orders order by "ID"`);
    const source = await client.query<{ row: string }>(`select id || '|' || customer || '|' || amount as row from ${SCHEMA}.orders order by id`);
    expect(staged.map((row) => row['row'])).toEqual(source.rows.map((row) => row.row));
    const staged7 = await run(`select "_FLOE_FILE" as "file", "_FLOE_ROW" as "row" from raw.pg__${SCHEMA}__orders where "ID" = 7 order by "_FLOE_EXTRACTED_AT"`);
    expect(staged7).toHaveLength(2);
    expect(String(staged7[0]?.['file'])).toMatch(new RegExp(`^PostgreSQL/pg/${SCHEMA}\\.orders/\\d{4}-\\d{2}-\\d{2}/\\d{2}/r.+\\.parquet$`));
    const days = await run('select to_varchar(day) as "day", orders as "orders" from gold.orders_per_day order by day');
    // 23:30 UTC plus an hour is the next day in UTC (the session's TIMEZONE), whatever the machine's zone
    expect(days).toEqual([{ day: '2025-11-06', orders: 23n }, { day: '2025-11-07', orders: 16n }, { day: '2025-12-31', orders: 1n }]);
    await check.close();
  });
});
