import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { floeEnvironmentFor, startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { PG_URL, uniqueName } from '../faults/source-table.js';

/**
 * PostgreSQL arrays through `floe run` into a snowflake:// warehouse (the fakesnow emulator): the
 * extraction job reads the real source, its Parquet LISTs are PUT, COPYed into ARRAY columns and
 * MERGEd, and each array reads back as the JSON PostgreSQL itself makes of it (`array_to_json`):
 * elements in order, NULL elements, empty arrays, nesting. A second run merges a changed element.
 */
describe('floe run: PostgreSQL arrays in Snowflake, on the fakesnow emulator', () => {
  const schema = uniqueName('floe_sf_arrays');
  const client = new pg.Client({ connectionString: PG_URL });
  const saved = { ...process.env };
  let server: FakesnowServer;
  let folder: string;

  /** Each row's arrays as JSON text, from PostgreSQL. */
  async function sourceJson(): Promise<Record<string, unknown>[]> {
    const { rows } = await client.query<Record<string, unknown>>(
      `select id::text as id, array_to_json(tags)::text as tags, array_to_json(grid)::text as grid, array_to_json(counts)::text as counts from ${schema}.tagged order by id`,
    );
    return rows;
  }

  /** The same from staging, as Snowflake's TO_JSON prints each ARRAY. */
  async function stagedJson(): Promise<Record<string, unknown>[]> {
    const session = await SnowflakeSession.open(server.settings('ARRAYS_DB'));
    try {
      const table = `staging.pg__${schema}__tagged`;
      const sql = `select to_varchar("ID") as "id", to_json("TAGS") as "tags", to_json("GRID") as "grid", to_json("COUNTS") as "counts" from ${table} order by "ID"`;
      return (await session.run({ sql, params: [] }, 'test')).rows.map((row) => ({ ...row, id: String(row['id']) }));
    } finally {
      await session.close();
    }
  }

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await client.query(`create table ${schema}.tagged (id bigint primary key, tags text[], grid int[][], counts bigint[], updated_at timestamptz(6) not null)`);
    await client.query(`insert into ${schema}.tagged values
      (1, array['a b', 'q"uote', 'back\\slash', null, '', 'NULL', 'comma,brace}'], '{{1,2},{3,NULL}}', '{9007199254740993,NULL,-1}', '2025-01-01 00:00:01+00'),
      (2, '{}', '{}', '{}', '2025-01-01 00:00:02+00'),
      (3, null, null, null, '2025-01-01 00:00:03+00')`);
    server = await startFakesnow();
    const session = await SnowflakeSession.open(server.settings('ARRAYS_DB'));
    await session.run({ sql: 'create database if not exists "ARRAYS_DB"', params: [] }, 'test');
    await session.close();
    folder = await mkdtemp(join(tmpdir(), 'floe-sf-arrays-'));
    await mkdir(join(folder, 'gold'));
    await writeFile(join(folder, 'floe.config.yaml'), [
      'raw: ./raw', 'state: ./state', 'gold: ./gold', 'warehouse: snowflake://floe-test/ARRAYS_DB?user=floe',
      'sources:', '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${schema}.tagged`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '',
    ].join('\n'));
    Object.assign(process.env, floeEnvironmentFor(server));
  }, 60_000);

  afterAll(async () => {
    process.env = saved;
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('lands every array as an ARRAY equal to the source element by element, then merges a changed element', async () => {
    // Prepare
    const config = await loadConfig(join(folder, 'floe.config.yaml'));

    // Act
    const [first] = await runLocally(config);
    const afterFirst = await stagedJson();
    await client.query(`update ${schema}.tagged set grid[2][2] = 4, tags[4] = 'was null', updated_at = '2025-06-01 00:00:00+00' where id = 1`);
    const [second] = await runLocally(config);

    // Assess
    expect(first?.failure).toBeNull();
    expect(first?.run).toMatchObject({ status: 'succeeded', inserted: 3 });
    expect(afterFirst).toEqual([
      { id: '1', tags: '["a b","q\\"uote","back\\\\slash",null,"","NULL","comma,brace}"]', grid: '[[1,2],[3,null]]', counts: '[9007199254740993,null,-1]' },
      { id: '2', tags: '[]', grid: '[]', counts: '[]' },
      { id: '3', tags: null, grid: null, counts: null },
    ]);
    expect(second?.failure).toBeNull();
    expect(second?.run).toMatchObject({ status: 'succeeded', updated: 1 });
    expect(await stagedJson()).toEqual(await sourceJson());
  }, 180_000);
});
