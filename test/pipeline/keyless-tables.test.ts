import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { loadConfig, type FloeConfig } from '../../config/index.js';
import { replayLocally } from '../../runtime/local/replay.js';
import { runLocally } from '../../runtime/local/run.js';
import { LocalStateStore } from '../../state/index.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { captureOutput } from '../cli/helpers.js';
import { floe } from '../faults/project.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const PG_SCHEMA = 'floe_keyless_pg';
const MY_DATABASE = 'floe_keyless_my';

/** One source engine: its tables `links` (no key, full mode) and `log` (no key, append by `at`), read back as sorted row texts. */
interface Source {
  readonly name: 'pg' | 'my';
  /** The tables as the config names them. */
  readonly links: string;
  readonly log: string;
  exec(sql: string): Promise<void>;
  /** Every row of the table, duplicates included, as `a|b` or `at|message|n`, sorted. */
  rows(table: 'links' | 'log'): Promise<string[]>;
  /** Removes one of the identical rows the table holds. */
  deleteOneCopy(table: 'links', where: string): Promise<void>;
  close(): Promise<void>;
}

async function postgresSource(): Promise<Source> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists ${PG_SCHEMA} cascade; create schema ${PG_SCHEMA}`);
  await client.query(`create table ${PG_SCHEMA}.links (a int, b text); create table ${PG_SCHEMA}.log (at timestamp(6) not null, message text, n int)`);
  const text = { links: `a || '|' || coalesce(b, 'NULL')`, log: `to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') || '|' || message || '|' || n` };
  return {
    name: 'pg', links: `${PG_SCHEMA}.links`, log: `${PG_SCHEMA}.log`,
    exec: async (sql) => void (await client.query(sql.replaceAll('{s}', PG_SCHEMA))),
    rows: async (table) => (await client.query<{ r: string }>(`select ${text[table]} as r from ${PG_SCHEMA}.${table}`)).rows.map((row) => row.r).sort(),
    deleteOneCopy: async (table, where) => void (await client.query(`delete from ${PG_SCHEMA}.${table} where ctid = (select ctid from ${PG_SCHEMA}.${table} where ${where} limit 1)`)),
    close: async () => {
      await client.query(`drop schema if exists ${PG_SCHEMA} cascade`);
      await client.end();
    },
  };
}

async function mariadbSource(): Promise<Source> {
  const connection = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
  await connection.query(`drop database if exists ${MY_DATABASE}; create database ${MY_DATABASE}`);
  await connection.query(`create table ${MY_DATABASE}.links (a int, b text); create table ${MY_DATABASE}.log (at datetime(6) not null, message text, n int)`);
  const text = { links: `concat(a, '|', coalesce(b, 'NULL'))`, log: `concat(date_format(at, '%Y-%m-%d %H:%i:%s.%f'), '|', message, '|', n)` };
  return {
    name: 'my', links: 'links', log: 'log',
    exec: async (sql) => void (await connection.query(sql.replaceAll('{s}', MY_DATABASE))),
    rows: async (table) => ((await connection.query(`select ${text[table]} as r from ${MY_DATABASE}.${table}`))[0] as { r: string }[]).map((row) => row.r).sort(),
    deleteOneCopy: async (table, where) => void (await connection.query(`delete from ${MY_DATABASE}.${table} where ${where} limit 1`)),
    close: async () => {
      await connection.query(`drop database if exists ${MY_DATABASE}`);
      await connection.end();
    },
  };
}

/** Staging of a source's table, every row, duplicates included, as the source's {@link Source.rows} prints them. */
async function stagingRows(config: FloeConfig, source: Source, table: 'links' | 'log'): Promise<string[]> {
  const name = `${source.name}__${(table === 'links' ? source.links : source.log).replaceAll('.', '__')}`;
  const text = table === 'links' ? `"a" || '|' || coalesce("b", 'NULL')` : `strftime("at", '%Y-%m-%d %H:%M:%S.%f') || '|' || "message" || '|' || "n"`;
  const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
  try {
    return (await warehouse.query(`select ${text} as r from staging."${name}"`)).map((row) => String(row['r'])).sort();
  } finally {
    await warehouse.close();
  }
}

async function check(configFile: string, source: string, table: string, ...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return captureOutput(() => checkCommand(['--config', configFile, '--source', source, '--table', table, ...more]));
}

describe.each([
  ['PostgreSQL', postgresSource],
  ['MariaDB', mariadbSource],
])('floe run: tables without a primary key, from %s', (_engine, open) => {
  let source: Source;
  let configFile: string;
  let config: FloeConfig;

  beforeAll(async () => {
    source = await open();
    const folder = await mkdtemp(join(tmpdir(), 'floe-keyless-'));
    configFile = join(folder, 'floe.config.yaml');
    const connection = source.name === 'pg' ? PG_URL : MYSQL_URL.replace(/\/[^/]*$/, `/${MY_DATABASE}`);
    await writeFile(configFile, [
      'gold: ./gold',
      'sources:',
      `  - name: ${source.name}`,
      `    engine: ${source.name === 'pg' ? 'postgres' : 'mysql'}`,
      `    connection: ${connection}`,
      '    tables:',
      `      - name: ${source.links}`,
      `      - { name: ${source.log}, mode: append, incrementalColumn: at, lookbackSeconds: 5 }`,
    ].join('\n'));
    config = await loadConfig(configFile);
  });

  afterAll(async () => {
    await source.close();
  });

  const runTable = (table: string, options: Parameters<typeof runLocally>[1] = {}) => runLocally(config, { ...options, filter: { source: source.name, table } });

  it('replaces staging in full mode with every row, duplicates kept, and again after rows are deleted, updated and inserted at the source', async () => {
    // Prepare
    await source.exec(`insert into {s}.links values (1, 'a'), (1, 'a'), (2, 'b'), (4, null)`);

    // Act
    const [first] = await runTable(source.links);
    const afterFirst = await stagingRows(config, source, 'links');
    await source.deleteOneCopy('links', `a = 1`);
    await source.exec(`update {s}.links set b = 'B' where a = 2`);
    await source.exec(`insert into {s}.links values (3, 'c')`);
    const [second] = await runTable(source.links);

    // Assess
    expect([first?.failure, second?.failure]).toEqual([null, null]);
    expect(afterFirst).toEqual(['1|a', '1|a', '2|b', '4|NULL']);
    expect(first?.run).toMatchObject({ mode: 'full', rowsExtracted: 4, inserted: 4, updated: 0 });
    expect(await stagingRows(config, source, 'links')).toEqual(await source.rows('links'));
    expect(await stagingRows(config, source, 'links')).toEqual(['1|a', '2|B', '3|c', '4|NULL']);
    // A changed row is one gone and one new: (1, a) once and (2, b) gone; (2, B) and (3, c) new
    expect(second?.run).toMatchObject({ rowsExtracted: 4, inserted: 2, updated: 0, deleted: 2 });
  });

  it('appends each run\'s new rows, none twice when every event is delivered twice, the run\'s RawLanded is replayed, or lookback reads rows again', async () => {
    // Prepare
    await source.exec(`insert into {s}.log values ('2025-01-01 00:00:01', 'start', 1), ('2025-01-01 00:00:02', 'same', 2), ('2025-01-01 00:00:02', 'same', 2)`);

    // Act: the second run's lookback (5 s) reads the first run's rows again, and finds a row committed late below the watermark
    const [first] = await runTable(source.log, { redelivery: { copies: 2, timing: 'adjacent' } });
    await source.exec(`insert into {s}.log values ('2025-01-01 00:00:03', 'next', 3), ('2025-01-01 00:00:02', 'same', 2)`);
    const [second] = await runTable(source.log, { redelivery: { copies: 2, timing: 'adjacent' } });
    const afterSecond = await stagingRows(config, source, 'log');
    const replayed = await replayLocally(config, second!.runId, 'RawLanded');
    const older = await replayLocally(config, first!.runId, 'RawLanded');

    // Assess
    expect([first?.failure, second?.failure, replayed.failure]).toEqual([null, null, null]);
    expect(first?.run).toMatchObject({ mode: 'append', rowsExtracted: 3, inserted: 3, updated: 0 });
    expect(second?.run).toMatchObject({ mode: 'append', rowsExtracted: 5, inserted: 2, updated: 0 });
    expect(afterSecond).toEqual([
      '2025-01-01 00:00:01.000000|start|1',
      '2025-01-01 00:00:02.000000|same|2',
      '2025-01-01 00:00:02.000000|same|2',
      '2025-01-01 00:00:02.000000|same|2',
      '2025-01-01 00:00:03.000000|next|3',
    ]);
    expect(afterSecond).toEqual(await source.rows('log'));
    expect(await stagingRows(config, source, 'log')).toEqual(afterSecond);
    // Replaying the older run after a newer one merged would roll staging back: refused, nothing changed
    expect(older.failure).toMatch(/older than run .*, already merged into staging/);
  });

  it.each([
    ['load-and-merge:after-raw-load', '01'],
    ['load-and-merge:after-merge', '02'],
  ])(
    'finishes the work of a run killed at %s with the next run, no row twice',
    async (point, hour) => {
      // Prepare: rows past the committed watermark, as a later hour
      await source.exec(`insert into {s}.log values ('2025-01-01 ${hour}:00:00', 'before ${point}', 4), ('2025-01-01 ${hour}:00:00', 'before ${point}', 4)`);

      // Act: the dead run's rows are in raw (and, after the merge, in staging), its watermark never committed
      const killed = await floe(['run', '--config', configFile, '--source', source.name, '--table', source.log], { FLOE_FAULT: point });
      const holder = (await new LocalStateStore(config.state).getTableState(source.name, source.log)).activeRun?.runId;
      const unlocked = await floe(['unlock', holder ?? '', '--config', configFile]);
      await source.exec(`insert into {s}.log values ('2025-01-01 ${hour}:30:00', 'after ${point}', 5)`);
      const [next] = await runTable(source.log);

      // Assess
      expect(killed.signal).toBe('SIGKILL');
      expect(unlocked.code).toBe(0);
      expect(next?.failure).toBeNull();
      expect(await stagingRows(config, source, 'log')).toEqual(await source.rows('log'));
    },
    120_000,
  );

  it('finds keyless tables in sync, then a row missing or a copy too many in staging, counting duplicates, and refuses to repair them', async () => {
    // Prepare
    await source.exec(`insert into {s}.links values (1, 'a')`);
    await runTable(source.links);
    const logRows = (await source.rows('log')).length;
    const inSync = [await check(configFile, source.name, source.links, '--json'), await check(configFile, source.name, source.log, '--json')];
    await source.deleteOneCopy('links', `a = 1`);
    // Stamped below the watermark and before lookback reaches: no incremental run will read it
    await source.exec(`insert into {s}.log values ('2025-01-01 00:00:00', 'too late', 0)`);

    // Act
    const links = await check(configFile, source.name, source.links, '--json');
    const log = await check(configFile, source.name, source.log);
    const repair = await check(configFile, source.name, source.links, '--repair');

    // Assess
    expect(inSync.map((result) => [result.code, (JSON.parse(result.stdout) as TableCheck[]).map((t) => [t.status, t.drift?.sourceRows, t.drift?.stagingRows])])).toEqual([
      [0, [['in sync', 5, 5]]],
      [0, [['in sync', logRows, logRows]]],
    ]);
    const [drifted] = JSON.parse(links.stdout) as TableCheck[];
    expect(links.code).toBe(1);
    expect(drifted).toMatchObject({ status: 'drift', keyless: true, drift: { sourceRows: 4, stagingRows: 5, missing: [], different: [], extra: [{ a: 1, b: 'a' }] } });
    expect(log.code).toBe(1);
    expect(log.stdout).toContain(`${source.name}/${source.log} missing rows (at/message/n): 2025-01-01 00:00:00`);
    expect(repair.code).toBe(1);
    expect(repair.stdout).toContain(
      `repair of ${source.name}/${source.links} refused: table ${source.name}/${source.links} has no primary key, and floe check --repair re-extracts rows by key, so it cannot repair it; ` +
        `a full run replaces its staging table with the source's rows (floe run --full --source ${source.name} --table ${source.links})`,
    );
  }, 120_000);
});
