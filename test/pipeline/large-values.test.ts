import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = 'mysql://root@127.0.0.1:3306/floe_large_values';
const MIB = 1024 * 1024;

/** Rows of (key, text bytes, binary bytes): a first row of 20 MiB and 9 MiB, as the issue reproduced, and more after. */
const ROWS: [number, number, number][] = [[1, 20 * MIB, 9 * MIB], [2, 64, 16], [3, 6 * MIB, 0], [4, 64, 16], [5, 12 * MIB, 5 * MIB], [6, 64, 16]];

type Digests = Record<string, [string | null, string | null]>;

async function stagingDigests(warehousePath: string, table: string): Promise<Digests> {
  const warehouse = await DuckDbWarehouse.open(warehousePath);
  try {
    const rows = await warehouse.query(`select id, md5(doc) as doc, md5(data) as data from staging."${table}" order by id`);
    return Object.fromEntries(rows.map((row) => [String(row['id']), [row['doc'] as string | null, row['data'] as string | null]]));
  } finally {
    await warehouse.close();
  }
}

describe('floe run: large values', () => {
  const postgres = new pg.Client({ connectionString: PG_URL });
  let admin: mysql.Connection;
  let packetBefore = 0;
  let folder: string;

  beforeAll(async () => {
    await postgres.connect();
    await postgres.query('drop schema if exists floe_large_values cascade; create schema floe_large_values');
    await postgres.query('create table floe_large_values.docs (id int primary key, doc text, data bytea)');
    for (const [id, text, binary] of ROWS) {
      await postgres.query(`insert into floe_large_values.docs values ($1::int, repeat(md5($1::text), $2), decode(repeat(md5((-$1::int)::text), $3), 'hex'))`, [id, text / 32, binary / 16]);
    }
    // MariaDB refuses to store a value longer than max_allowed_packet (16 MiB by default): raised meanwhile.
    admin = await mysql.createConnection({ uri: 'mysql://root@127.0.0.1:3306' });
    const [packet] = await admin.query('select @@global.max_allowed_packet as packet');
    packetBefore = Number((packet as { packet: number }[])[0]?.packet);
    await admin.query('set global max_allowed_packet = 268435456');
    const writer = await mysql.createConnection({ uri: 'mysql://root@127.0.0.1:3306' });
    try {
      await writer.query('drop database if exists floe_large_values');
      await writer.query('create database floe_large_values');
      await writer.query('create table floe_large_values.docs (id int primary key, doc longtext, data longblob)');
      for (const [id, text, binary] of ROWS) {
        await writer.query(`insert into floe_large_values.docs values (?, repeat(md5(?), ?), unhex(repeat(md5(?), ?)))`, [id, String(id), text / 32, String(-id), binary / 16]);
      }
    } finally {
      await writer.end();
    }
    folder = await mkdtemp(join(tmpdir(), 'floe-large-values-'));
    await writeFile(
      join(folder, 'floe.config.yaml'),
      [
        'gold: ./gold',
        'sources:',
        '  - name: pg',
        '    engine: postgres',
        `    connection: ${PG_URL}`,
        '    tables:',
        '      - { name: floe_large_values.docs, primaryKey: [id] }',
        '  - name: my',
        '    engine: mysql',
        `    connection: ${MYSQL_URL}`,
        '    tables:',
        '      - { name: floe_large_values.docs, primaryKey: [id] }',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await postgres.query('drop schema if exists floe_large_values cascade');
    await postgres.end();
    await admin.query('drop database if exists floe_large_values');
    if (packetBefore > 0) await admin.query(`set global max_allowed_packet = ${packetBefore}`);
    await admin.end();
  });

  it('lands a first row of tens of MiB, and every row after it, exactly on both engines', async () => {
    // Prepare
    const config = await loadConfig(join(folder, 'floe.config.yaml'));
    const source: Digests = Object.fromEntries(
      (await postgres.query('select id, md5(doc) as doc, md5(data) as data from floe_large_values.docs order by id')).rows.map(
        (row: { id: number; doc: string | null; data: string | null }) => [String(row.id), [row.doc, row.data]],
      ),
    );

    // Act
    const outcomes = await runLocally(config);

    // Assess: both tables reached gold with all six rows, every value as the source holds it
    expect(outcomes.map((outcome) => [outcome.source, outcome.failure, outcome.run?.rowsExtracted])).toEqual([['pg', null, 6], ['my', null, 6]]);
    const warehouse = config.warehouse.slice('duckdb://'.length);
    expect(await stagingDigests(warehouse, 'pg__floe_large_values__docs')).toEqual(source);
    expect(await stagingDigests(warehouse, 'my__floe_large_values__docs')).toEqual(source);
  }, 180_000);
});
