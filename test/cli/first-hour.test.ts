import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import pg from 'pg';

import { PG_URL, uniqueName } from '../faults/source-table.js';
import { repoRoot } from '../state/helpers.js';
import { screenOf } from './terminal-screen.js';

const ROWS = 150_000;
const VARIABLE = 'FLOE_FIRST_HOUR_URL';

/**
 * The README's first hour, as a newcomer types it in the clone: `npx floe --version`, `npx floe init`,
 * `npx floe run`, `npx floe check`, `npx floe report`, each a real process started by npx from a
 * folder inside the clone (under `.floe/`, which git ignores), against a PostgreSQL table whose
 * last-change column a trigger maintains and which holds an array column.
 */
describe('CLI: the first hour, through npx', () => {
  const schema = uniqueName('floe_first_hour');
  const client = new pg.Client({ connectionString: PG_URL });
  let folder: string;

  function npx(args: readonly string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
    return spawnSync('npx', ['--no-install', 'floe', ...args], { cwd: folder, encoding: 'utf8', env: { ...process.env, [VARIABLE]: PG_URL, FLOE_PROGRESS_SECONDS: '0.01', ...env } });
  }

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await client.query(`create table ${schema}.film (film_id int primary key, title text not null, special_features text[], last_update timestamptz not null default now())`);
    await client.query(`create function ${schema}.touch() returns trigger language plpgsql as $$ begin NEW.last_update := now(); return NEW; end $$`);
    await client.query(`create trigger film_touch before update on ${schema}.film for each row execute function ${schema}.touch()`);
    await client.query(`insert into ${schema}.film select g, 'film ' || g, case when g % 3 = 0 then null else array['Trailers', case when g % 2 = 0 then 'Deleted Scenes' end] end, now() - interval '1 day' from generate_series(1, ${ROWS}) g`);
    await client.query(`analyze ${schema}.film`);
    await mkdir(join(repoRoot, '.floe'), { recursive: true });
    folder = await mkdtemp(join(repoRoot, '.floe', 'first-hour-'));
  }, 60_000);

  afterAll(async () => {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('--version, init, run (progress, then a summary), check and report work as the README says', async () => {
    // Act
    const version = npx(['--version']);
    const init = npx(['init', '--url-env', VARIABLE, '--schema', schema]);
    const config = await readFile(join(folder, 'floe.config.yaml'), 'utf8').catch(() => '');
    const run = npx(['run']);
    const check = npx(['check']);
    const report = npx(['report']);

    // Assess
    const { version: packageVersion } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toBe(`floe ${packageVersion}\n`);
    expect(init.status).toBe(0);
    expect(config).toMatch(/# last_update: set by trigger film_touch on update, NOT NULL, not indexed: each run scans the table\n\s+incrementalColumn: last_update/);
    expect(config).toContain(`connection: \${${VARIABLE}}`);
    expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0 });
    // Piped, progress comes as plain lines, against the catalog's estimate (ANALYZE makes it exact here)
    expect(run.stderr).toMatch(new RegExp(`^  ${schema}\\.film: [\\d,]+ of ~150,000 rows \\(\\d+%\\), [\\d,]+ rows/s, ETA [\\d,]+ s$`, 'm'));
    expect(run.stderr).not.toContain('\x1b[');
    expect(run.stdout).toMatch(new RegExp(`postgres/${schema}\\.film +incremental +150000 +150000 +0 +0 +[\\d.]+ s +ok`));
    expect(run.stdout).toMatch(/^1 table\(s\), 0 failed, in [\d.]+ s$/m);
    expect({ status: check.status, stdout: check.stdout }).toMatchObject({ status: 0 });
    expect(check.stdout).toMatch(/in sync/);
    expect(report.status).toBe(0);
    expect(report.stdout).toBe(`${join(folder, 'floe-report.html')}: 1 table(s), 1 run(s)\n`);
    expect(await readFile(join(folder, 'floe-report.html'), 'utf8')).toContain(`${schema}.film`);
  }, 300_000);

  it('on a terminal, floe run draws a bar per table and leaves only the summary under the run lines', () => {
    // Prepare: a real pseudo-terminal, from util-linux's script(1)
    if (!existsSync(join(folder, 'floe.config.yaml'))) expect(npx(['init', '--url-env', VARIABLE, '--schema', schema]).status).toBe(0);

    // Act
    const done = spawnSync('script', ['-qec', 'stty cols 150; npx --no-install floe run --full', '/dev/null'], {
      cwd: folder, encoding: 'utf8', env: { ...process.env, [VARIABLE]: PG_URL, FLOE_PROGRESS_SECONDS: '0.01' },
    });

    // Assess
    expect(done.status).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`${schema}\\.film  \\[#*-*\\] +\\d+%  [\\d,]+ / ~150,000 rows  [\\d,]+ rows/s  ETA `));
    const screen = screenOf(done.stdout);
    expect(screen.filter((line) => line.includes('rows/s  ETA'))).toEqual([]);
    expect(screen).toContainEqual(expect.stringMatching(new RegExp(`^  ${schema}\\.film: 150,000 rows in \\d+ file\\(s\\)`)));
    expect(screen.at(-1)).toMatch(/^1 table\(s\), 0 failed, in [\d.]+ s$/);
  }, 300_000);
});
