import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { repoRoot } from '../state/helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** `floe run` as a person runs it: its own process, its exit code and what it printed. */
function floeRun(configFile: string, table: string, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), [join(repoRoot, 'cli', 'floe.ts'), 'run', '--config', configFile, '--table', table], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output })));
}

describe('floe run: two at once on one DuckDB warehouse', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let configFile: string;

  beforeAll(async () => {
    await client.connect();
    await client.query('drop schema if exists floe_two_runs cascade; create schema floe_two_runs');
    for (const table of ['a', 'b']) {
      await client.query(`create table floe_two_runs.${table} (id int primary key, v text)`);
      await client.query(`insert into floe_two_runs.${table} select g, md5(g::text) from generate_series(1, 20000) g`);
    }
    const folder = await mkdtemp(join(tmpdir(), 'floe-two-runs-'));
    configFile = join(folder, 'floe.config.yaml');
    // A warehouse file named like one of floe's schemas: DuckDB names its catalog after the file.
    await writeFile(configFile, [
      'warehouse: duckdb://./floe.duckdb',
      'gold: ./gold',
      'sources:',
      '  - name: src',
      '    engine: postgres',
      `    connection: ${PG_URL}`,
      '    tables:',
      '      - { name: floe_two_runs.a, primaryKey: [id] }',
      '      - { name: floe_two_runs.b, primaryKey: [id] }',
    ].join('\n'));
  });

  afterAll(async () => {
    await client.query('drop schema if exists floe_two_runs cascade');
    await client.end();
  });

  it('runs two tables from two processes side by side: both complete, taking turns at the warehouse', async () => {
    // Act
    const [first, second] = await Promise.all([floeRun(configFile, 'floe_two_runs.a'), floeRun(configFile, 'floe_two_runs.b')]);

    // Assess
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.output + second.output).not.toMatch(/\n\s+at /);
  }, 180_000);

  it('exits 3 naming the process that holds the warehouse when it waited long enough', async () => {
    // Prepare: another process holds the file, as a long step of another floe run would
    const holder = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'fixtures', 'warehouse', 'hold-warehouse.ts'), join(configFile, '..', 'floe.duckdb')], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));

    // Act
    const run = await floeRun(configFile, 'floe_two_runs.a', { FLOE_WAREHOUSE_WAIT_SECONDS: '2' });
    holder.stdin.end('release\n');

    // Assess: one line saying who holds it, no stack trace
    expect(run.code).toBe(3);
    expect(run.output).toMatch(new RegExp(`another process \\(PID ${holder.pid}`));
    expect(run.output).not.toMatch(/\n\s+at /);
  }, 180_000);
});
