import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { findDeletedKeys, liveStagingFrom } from '../../check/deleted-keys.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_deleted_keys_test';
const at = (hour: number): string => `2025-01-01 ${String(hour).padStart(2, '0')}:00:00+00`;

describe('Delete detection: which keys are gone', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let warehouse: DuckDbWarehouse;

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.t (id bigint primary key, updated_at timestamptz not null)`);
    // 2 and 4 deleted; 3 updated after the watermark; 6 inserted after it; 8 deleted long ago
    await client.query(`insert into ${SCHEMA}.t values (1, $1), (3, $2), (5, $3), (6, $4)`, [at(1), at(9), at(5), at(6)]);
    warehouse = await DuckDbWarehouse.open(join(await mkdtemp(join(tmpdir(), 'floe-deleted-keys-')), 'w.duckdb'));
    await warehouse.query('create table staging.t (id BIGINT, updated_at TIMESTAMPTZ, _floe_deleted_at TIMESTAMPTZ)');
    // Staged up to 04:00, then 5 and 7 past the watermark; 8 already marked
    await warehouse.query(
      `insert into staging.t values (1, $1, null), (2, $2, null), (3, $3, null), (4, $4, null), (5, $5, null), (7, $6, null), (8, $1, $1)`,
      [at(1), at(2), at(3), at(4), at(5), at(7)],
    );
  });

  afterAll(async () => {
    await warehouse.close();
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it('finds only live staged keys up to the watermark that the source no longer holds at all', async () => {
    // Prepare
    await client.query('begin transaction isolation level repeatable read, read only');

    // Act
    const found = await findDeletedKeys({
      where: 'table pg/t',
      key: [{ name: 'id', warehouseType: 'BIGINT' }],
      source: { side: { query: async ({ sql, params }) => (await client.query(sql, [...params])).rows }, dialect: 'postgres', from: `"${SCHEMA}"."t"` },
      staging: { side: { query: ({ sql, params }) => warehouse.query(sql, params) }, dialect: 'duckdb', from: liveStagingFrom('"staging"."t"', '_floe_deleted_at') },
      watermark: { column: 'updated_at', value: '2025-01-01 04:00:00.000000+00:00', warehouseType: 'TIMESTAMPTZ' },
    });
    await client.query('commit');

    // Assess: 3 (changed past the watermark) and 5, 7 (past it in staging) are not judged, 8 is marked already
    expect(found.keys).toEqual([['2'], ['4']]);
    expect([found.sourceKeys, found.stagingKeys]).toEqual([1, 4]);
  });

  it('refuses a key column it cannot compare across databases, naming it', async () => {
    // Act
    const act = findDeletedKeys({
      where: 'table pg/t',
      key: [{ name: 'blob_key', warehouseType: 'BLOB' }],
      source: { side: { query: async () => [] }, dialect: 'postgres', from: 't' },
      staging: { side: { query: async () => [] }, dialect: 'duckdb', from: 't' },
      watermark: { column: 'updated_at', value: '2025-01-01', warehouseType: 'DATE' },
    });

    // Assess
    await expect(act).rejects.toThrow('table pg/t: primary key column blob_key is BLOB, which delete detection cannot compare yet');
  });
});
