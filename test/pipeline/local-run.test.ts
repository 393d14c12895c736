import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local-pipeline.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function sourceRows(client: pg.Client): Promise<string[]> {
  const result = await client.query(
    "select id || '|' || label || '|' || amount || '|' || to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') as row from floe_pipeline_test.events order by id",
  );
  return result.rows.map((r: { row: string }) => r.row);
}

async function stagingRows(warehousePath: string): Promise<string[]> {
  const warehouse = await DuckDbWarehouse.open(warehousePath);
  try {
    const rows = await warehouse.query(
      `select id || '|' || label || '|' || amount || '|' || strftime(updated_at, '%Y-%m-%d %H:%M:%S.%f') as row
       from staging."src__floe_pipeline_test__events" order by id`,
    );
    return rows.map((r) => String(r['row']));
  } finally {
    await warehouse.close();
  }
}

describe('floe run: the whole pipeline on embedded defaults', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let folder: string;

  beforeAll(async () => {
    await client.connect();
    await client.query('drop schema if exists floe_pipeline_test cascade; create schema floe_pipeline_test');
    await client.query(`create table floe_pipeline_test.events (id bigint primary key, label text, amount numeric(12,2), updated_at timestamp(6))`);
    await client.query(`insert into floe_pipeline_test.events
      select g, 'row ' || g, g * 1.25, timestamp '2025-01-01' + g * interval '1 second' from generate_series(1, 5000) g`);
    folder = await mkdtemp(join(tmpdir(), 'floe-pipeline-'));
    await writeFile(
      join(folder, 'floe.config.yaml'),
      [
        'gold: ./gold',
        'sources:',
        '  - name: src',
        '    engine: postgres',
        '    connection: ${FLOE_PIPELINE_TEST_URL}',
        '    tables:',
        '      - name: floe_pipeline_test.events',
        '        primaryKey: [id]',
        '        incrementalColumn: updated_at',
        '        partitionColumn: id',
        '        partitions: 2',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await client.query('drop schema if exists floe_pipeline_test cascade');
    await client.end();
  });

  it('leaves staging equal to the source after a full load and after incremental changes', async () => {
    // Prepare
    const config = await loadConfig(join(folder, 'floe.config.yaml'), { env: { FLOE_PIPELINE_TEST_URL: PG_URL } });
    const warehousePath = config.warehouse.slice('duckdb://'.length);
    // Act: first run, then updates, inserts and a tie at the new watermark
    const first = await runLocally(config);
    await client.query(`update floe_pipeline_test.events set amount = amount + 1, updated_at = timestamp '2025-02-01' where id % 100 = 0`);
    await client.query(`insert into floe_pipeline_test.events values (5001, 'new', 1, timestamp '2025-02-01'), (5002, 'tie', 2, timestamp '2025-02-01')`);
    const second = await runLocally(config);
    const third = await runLocally(config);
    // Assess
    expect(first.map((o) => o.failure)).toEqual([null]);
    expect(first[0]?.run?.rowsExtracted).toBe(5000);
    expect(second.map((o) => o.failure)).toEqual([null]);
    expect(second[0]?.run).toMatchObject({ rowsExtracted: 52, inserted: 2, updated: 50 });
    expect(third[0]?.run).toMatchObject({ rowsExtracted: 0, inserted: 0, updated: 0 });
    expect(await stagingRows(warehousePath)).toEqual(await sourceRows(client));
  });
});
