import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { initCommand } from '../../cli/init.js';
import { ConfigError, loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { captureOutput } from './helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_init_test';

describe('CLI: floe init', () => {
  const client = new pg.Client({ connectionString: PG_URL });

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.customers (id int primary key, name text, last_update timestamptz not null default now())`);
    await client.query(`insert into ${SCHEMA}.customers select g, 'c' || g, now() - interval '1 day' from generate_series(1, 300) g`);
    await client.query(`create table ${SCHEMA}.audit (at timestamptz, message text)`);
    await client.query(`insert into ${SCHEMA}.audit values ('2025-01-01 00:00:00+00', 'same'), ('2025-01-01 00:00:00+00', 'same')`);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it('writes a config from the source alone that floe run takes as it is, the URL only by its variable', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'floe-init-'));
    const file = join(folder, 'floe.config.yaml');
    const env = { FLOE_INIT_TEST_URL: PG_URL.replace('postgres@', 'postgres:init-secret-9@') };

    // Act
    const init = await captureOutput(() => initCommand(['--url-env', 'FLOE_INIT_TEST_URL', '--schema', SCHEMA, '--out', file], env));
    const text = await readFile(file, 'utf8');
    const config = await loadConfig(file, { env });
    const outcomes = await runLocally(config);
    const again = await captureOutput(() => initCommand(['--url-env', 'FLOE_INIT_TEST_URL', '--schema', SCHEMA, '--out', file], env).catch((error: Error) => { process.stderr.write(error.message); return 2; }));

    // Assess
    expect(init.code).toBe(0);
    expect(init.stdout).toBe(`${file}: source 'postgres', 2 of 2 table(s) configured\n`);
    expect(text).toContain('connection: ${FLOE_INIT_TEST_URL}');
    expect(text).not.toContain('init-secret-9');
    expect(text).toMatch(/# last_update: named like a last-change time, NOT NULL, not indexed: each run scans the table\n\s+incrementalColumn: last_update/);
    expect(text).toContain(`- name: ${SCHEMA}.audit`);
    expect(text).toMatch(/# no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept\n\s+mode: full\n/);
    expect(config.sources[0]?.tables.map((t) => [t.name, t.mode])).toEqual([[`${SCHEMA}.audit`, 'full'], [`${SCHEMA}.customers`, 'incremental']]);
    expect(outcomes.map((o) => [o.table, o.failure, o.run?.rowsExtracted])).toEqual([[`${SCHEMA}.audit`, null, 2], [`${SCHEMA}.customers`, null, 300]]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists: floe init does not overwrite a config (--force does)');
  }, 120_000);

  it("writes a config from an existing config's source: its settings and connection as written, every table discovered anew", async () => {
    // Prepare: a config that lists one table of the schema, with settings of its own
    const folder = await mkdtemp(join(tmpdir(), 'floe-init-from-'));
    const from = join(folder, 'old.yaml');
    const env = { FLOE_INIT_FROM_URL: PG_URL.replace('postgres@', 'postgres:from-secret-7@') };
    await writeFile(from, [
      'raw: ./lake/raw', 'state: ./lake/state', 'warehouse: duckdb://./lake/w.duckdb', 'gold: ./gold',
      'sources:', '  - name: shop', '    engine: postgres', '    connection: ${FLOE_INIT_FROM_URL}', '    maxConnections: 3', '    tables:',
      `      - name: ${SCHEMA}.customers`, '        primaryKey: [id]', '',
    ].join('\n'));
    const out = join(folder, 'floe.config.yaml');

    // Act
    const init = await captureOutput(() => initCommand(['--from', from, '--schema', SCHEMA, '--out', out], env));
    const text = await readFile(out, 'utf8');
    const config = await loadConfig(out, { env });

    // Assess
    expect(init.code).toBe(0);
    expect(init.stdout).toBe(`${out}: source 'shop', 2 of 2 table(s) configured\n`);
    expect(text).toMatch(/^# floe\.config\.yaml, written by floe init from source 'shop' of .*old\.yaml\./);
    expect(text).toContain('raw: ./lake/raw');
    expect(text).toContain('connection: ${FLOE_INIT_FROM_URL}');
    expect(text).toContain('export FLOE_INIT_FROM_URL=…');
    expect(text).not.toContain('from-secret-7');
    expect(config).toMatchObject({ raw: join(folder, 'lake/raw'), warehouse: `duckdb://${join(folder, 'lake/w.duckdb')}` });
    expect(config.sources.map((source) => [source.name, source.maxConnections, source.tables.map((table) => table.name)])).toEqual([['shop', 3, [`${SCHEMA}.audit`, `${SCHEMA}.customers`]]]);
  });

  it('keeps the old file’s places when the new one is written elsewhere, and asks which source where there are several', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'floe-init-from-'));
    const from = join(folder, 'old.yaml');
    const env = { FLOE_INIT_FROM_URL: PG_URL, FLOE_INIT_GOLD: join(folder, 'models') };
    const source = (name: string) => [`  - name: ${name}`, '    engine: postgres', '    connection: ${FLOE_INIT_FROM_URL}', '    tables: []'];
    await writeFile(from, ['raw: ./raw', 'state: ./state', 'gold: ${FLOE_INIT_GOLD}', 'warehouse: duckdb://./w.duckdb', 'sources:', ...source('a'), ...source('b'), ''].join('\n'));
    const elsewhere = join(await mkdtemp(join(tmpdir(), 'floe-init-out-')), 'floe.config.yaml');

    // Act
    const ambiguous = await initCommand(['--from', from, '--out', elsewhere], env).catch((error: unknown) => error);
    await captureOutput(() => initCommand(['--from', from, '--source', 'b', '--schema', SCHEMA, '--out', elsewhere], env));
    const config = await loadConfig(elsewhere, { env });

    // Assess
    expect(ambiguous).toBeInstanceOf(ConfigError);
    expect((ambiguous as ConfigError).message).toBe(`${from} has 2 sources (a, b): say which with --source`);
    expect(config).toMatchObject({ raw: join(folder, 'raw'), state: join(folder, 'state'), warehouse: `duckdb://${join(folder, 'w.duckdb')}` });
    // A place read from the environment is still read from it, not frozen at its value
    expect(await readFile(elsewhere, 'utf8')).toMatch(/^gold: \$\{FLOE_INIT_GOLD\}/m);
    expect(config.sources.map((s) => s.name)).toEqual(['b']);
  });
});
