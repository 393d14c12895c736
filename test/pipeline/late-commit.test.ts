import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import { runCommand } from '../../cli/run.js';
import { statusCommand } from '../../cli/status.js';
import { loadConfig } from '../../config/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { captureOutput } from '../cli/helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = 'mysql://root@127.0.0.1:3306/floe_late_commit';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An application session of one engine: statements, and a transaction it can hold open. */
interface Session {
  run(sql: string): Promise<void>;
  end(): Promise<void>;
}

async function session(engine: 'postgres' | 'mysql'): Promise<Session> {
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    return { run: async (sql) => void (await client.query(sql)), end: () => client.end() };
  }
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  return { run: async (sql) => void (await connection.query(sql)), end: () => connection.end() };
}

async function stagingValues(warehousePath: string, table: string): Promise<Record<string, number>> {
  const warehouse = await DuckDbWarehouse.open(warehousePath);
  try {
    const rows = await warehouse.query(`select id, v from staging."${table}" order by id`);
    return Object.fromEntries(rows.map((row) => [String(row['id']), Number(row['v'])]));
  } finally {
    await warehouse.close();
  }
}

describe.each([
  { engine: 'postgres' as const, stamp: 'now()', table: 'pg__floe_late_commit__items', create: 'create table floe_late_commit.items (id int primary key, v int, updated_at timestamptz not null default now())' },
  { engine: 'mysql' as const, stamp: 'now(6)', table: 'my__floe_late_commit__items', create: 'create table floe_late_commit.items (id int primary key, v int, updated_at timestamp(6) not null default current_timestamp(6) on update current_timestamp(6))' },
])('floe run on $engine: a transaction that commits after a run', ({ engine, stamp, table, create }) => {
  let folder: string;
  let admin: Session;

  beforeAll(async () => {
    if (engine === 'postgres') {
      admin = await session('postgres');
      await admin.run('drop schema if exists floe_late_commit cascade; create schema floe_late_commit');
    } else {
      const root = await mysql.createConnection({ uri: 'mysql://root@127.0.0.1:3306' });
      await root.query('drop database if exists floe_late_commit');
      await root.query('create database floe_late_commit');
      await root.end();
      admin = await session('mysql');
    }
    await admin.run(create);
    await admin.run(`insert into floe_late_commit.items (id, v, updated_at) values (1, 0, ${stamp}), (2, 0, ${stamp}), (3, 0, ${stamp})`);
    folder = await mkdtemp(join(tmpdir(), 'floe-late-commit-'));
    await writeFile(
      join(folder, 'floe.config.yaml'),
      [
        'gold: ./gold',
        'sources:',
        `  - name: ${engine === 'postgres' ? 'pg' : 'my'}`,
        `    engine: ${engine}`,
        `    connection: ${engine === 'postgres' ? PG_URL : MYSQL_URL}`,
        '    tables:',
        '      - { name: floe_late_commit.items, primaryKey: [id], incrementalColumn: updated_at }',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await admin.run(engine === 'postgres' ? 'drop schema if exists floe_late_commit cascade' : 'drop database if exists floe_late_commit');
    await admin.end();
  });

  it('is merged by the next run: the run in between holds its watermark and says so', async () => {
    // Prepare: a first run, then an application transaction stamping row 1 and staying open
    // while row 2 changes and commits
    const configFile = join(folder, 'floe.config.yaml');
    const warehouse = (await loadConfig(configFile)).warehouse.slice('duckdb://'.length);
    await sleep(1100); // a run commits no watermark on rows stamped in its own second
    expect((await captureOutput(() => runCommand(['--config', configFile]))).code).toBe(0);
    const writer = await session(engine);
    await writer.run(engine === 'postgres' ? 'begin' : 'start transaction');
    await writer.run(`update floe_late_commit.items set v = 100, updated_at = ${stamp} where id = 1`);
    await sleep(1500);
    await admin.run(`update floe_late_commit.items set v = 200, updated_at = ${stamp} where id = 2`);

    // Act
    const held = await captureOutput(() => runCommand(['--config', configFile]));
    const status = await captureOutput(() => statusCommand(['--config', configFile, '--json']));
    await writer.run('commit');
    await writer.end();
    const after = await captureOutput(() => runCommand(['--config', configFile]));

    // Assess: the run in between merged row 2 and kept its watermark behind the open transaction;
    // the next run merged row 1, which a watermark moved past row 2 would have skipped for ever
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/ok, watermark held \d+ s behind an open transaction/);
    const [tableStatus] = JSON.parse(status.stdout) as { lastRun: { watermarkHeld?: { seconds: number; openSince: string } } }[];
    expect(tableStatus?.lastRun.watermarkHeld?.seconds).toBeGreaterThanOrEqual(1.4);
    expect(after.code).toBe(0);
    expect(await stagingValues(warehouse, table)).toEqual({ 1: 100, 2: 200, 3: 0 });
  }, 120_000);
});
