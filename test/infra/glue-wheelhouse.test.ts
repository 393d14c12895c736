import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { builtWheelhouse } from '../../infra/extraction-job.js';
import { repoRoot } from '../state/helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
const SCHEMA = 'floe_wheelhouse';

/**
 * The Glue runtime's Python (3.9), found the way this machine has it: on PATH, or a pyenv version.
 * The test needs it: cp39 wheels install and load only there.
 */
function python39(): string {
  const onPath = spawnSync('python3.9', ['--version']);
  if (onPath.status === 0) return 'python3.9';
  const root = spawnSync('pyenv', ['root'], { encoding: 'utf8' }).stdout?.trim() || join(process.env['HOME'] ?? '/root', '.pyenv');
  const versions = existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')).filter((v) => v.startsWith('3.9.')) : [];
  const found = versions.map((v) => join(root, 'versions', v, 'bin', 'python3.9')).find((path) => existsSync(path));
  if (found === undefined) throw new Error('no Python 3.9 (the Glue Python shell runtime): install one (e.g. pyenv install 3.9) to run this test');
  return found;
}

/** The environment of the clean Python: nothing of this machine's pip configuration or project. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', PIP_CONFIG_FILE: '/dev/null', PIP_NO_INDEX: '1', ...extra };
}

describe('Packaging: the Glue wheel set installs with the index disabled, in a clean Python 3.9', () => {
  let work: string;
  let venvPython: string;
  let archive: string;
  let pgClient: pg.Client;
  let mysqlConnection: mysql.Connection;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'floe-wheelhouse-'));
    execFileSync(python39(), ['-m', 'venv', join(work, 'venv')]);
    venvPython = join(work, 'venv', 'bin', 'python');
    // The stack ships the folder as a zip asset; so does this test.
    archive = join(work, 'wheelhouse.zip');
    execFileSync(join(repoRoot, '.venv', 'bin', 'python'), ['-m', 'zipfile', '-c', archive, ...readdirSync(builtWheelhouse()).map((file) => join(builtWheelhouse(), file))]);
    pgClient = new pg.Client({ connectionString: PG_URL });
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.orders (id bigint primary key, amount numeric(12,2), note text)`);
    await pgClient.query(`insert into ${SCHEMA}.orders select g, g * 1.25, 'n' || g from generate_series(1, 300) g`);
    mysqlConnection = await mysql.createConnection(MYSQL_URL);
    await mysqlConnection.query(`drop table if exists ${SCHEMA}_orders`);
    await mysqlConnection.query(`create table ${SCHEMA}_orders (id bigint primary key, amount decimal(12,2), note text)`);
    await mysqlConnection.query(`insert into ${SCHEMA}_orders values (1, 1.25, 'a'), (2, 2.50, 'b'), (3, 3.75, null)`);
  }, 120_000);

  afterAll(async () => {
    await pgClient?.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient?.end();
    await mysqlConnection?.query(`drop table if exists ${SCHEMA}_orders`);
    await mysqlConnection?.end();
    if (work) rmSync(work, { recursive: true, force: true });
  });


  /** The job's probe (`--probe`), as Glue runs it, from the set installed in `packages`. */
  function runProbe(runId: string, engine: string, table: string, packages: string, url: string): ReturnType<typeof spawnSync> {
    return spawnSync(venvPython, [
      join(work, 'script', 'extract.py'), '--floe-wheelhouse', archive, '--probe', 'true', '--run-id', runId, '--engine', engine,
      '--connection', 'env:FLOE_TEST_CONNECTION', '--table', table, '--raw-root', join(work, 'raw'),
    ], { encoding: 'utf8', env: cleanEnv({ FLOE_PACKAGES_DIR: packages, FLOE_TEST_CONNECTION: url }), cwd: join(work, 'script') });
  }

  function probeOutcome(runId: string): { steps: { step: string; detail: string }[] } {
    return JSON.parse(readFileSync(join(work, 'raw', '_probe', `${runId}.json`), 'utf8')) as { steps: { step: string; detail: string }[] };
  }

  it('pins every file of the set by sha256, floe_extract (compiled for cp39 manylinux2014) included, and names no index', () => {
    // Prepare
    const lock = readFileSync(join(builtWheelhouse(), 'requirements.lock'), 'utf8');
    const pins = lock.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const wheels = readdirSync(builtWheelhouse()).filter((file) => file.endsWith('.whl'));

    // Assess: exact versions, a hash for every wheel file, and the job's own wheel pure Python
    expect(pins.every((pin) => /^[a-z0-9-]+==[^ ]+( --hash=sha256:[0-9a-f]{64})+$/.test(pin))).toBe(true);
    expect(pins.map((pin) => pin.split('==')[0])).toEqual(expect.arrayContaining(['floe-extract', 'pyarrow', 'psycopg', 'psycopg-binary', 'mysql-connector-python', 'boto3']));
    expect(pins.flatMap((pin) => pin.match(/--hash=/g) ?? [])).toHaveLength(wheels.length);
    // floe_extract carries its C extensions (the binary COPY and MySQL packet readers), built for the Glue runtime's Python and glibc
    expect(wheels.filter((file) => file.startsWith('floe_extract-'))).toEqual([expect.stringMatching(/-cp39-cp39-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl$/)]);
    expect(lock).not.toMatch(/index-url|find-links|https?:/);
  });

  it('runs the job script alone, as Glue does: it installs the set, then extracts from PostgreSQL and MariaDB with it', () => {
    // Prepare: the script without the package beside it, and nowhere to fetch from
    const script = join(work, 'script', 'extract.py');
    execFileSync('mkdir', ['-p', join(work, 'script')]);
    copyFileSync(join(repoRoot, 'glue', 'extract.py'), script);
    const packages = join(work, 'packages');
    const run = (runId: string, engine: string, table: string, connection: string) => spawnSync(venvPython, [
      script, '--floe-wheelhouse', archive, '--run-id', runId, '--engine', engine, '--database', 'wh',
      '--connection', 'env:FLOE_TEST_CONNECTION', '--table', table, '--primary-key', 'id', '--raw-root', join(work, 'raw'),
    ], { encoding: 'utf8', env: cleanEnv({ FLOE_PACKAGES_DIR: packages, FLOE_TEST_CONNECTION: connection, PIP_INDEX_URL: 'http://127.0.0.1:9/simple' }), cwd: join(work, 'script') });

    // Act
    const fromPostgres = run('wh-pg', 'postgres', `${SCHEMA}.orders`, PG_URL);
    const fromMariaDb = run('wh-my', 'mysql', `${SCHEMA}_orders`, MYSQL_URL);

    // Assess
    expect(fromPostgres.status).toBe(0);
    expect(fromMariaDb.status).toBe(0);
    const manifest = (runId: string) => JSON.parse(readFileSync(join(work, 'raw', '_manifests', `${runId}.json`), 'utf8')) as { totalRows: number };
    expect(manifest('wh-pg').totalRows).toBe(300);
    expect(manifest('wh-my').totalRows).toBe(3);
  }, 240_000);

  it.each([
    ['postgres', 'psycopg', 'psycopg.pq.__impl__'],
    ['mysql', 'floe_extract.sources._mysql_rows', 'floe_extract.sources.mysql._mysql_rows is not None'],
  ])('loads the C extensions of the %s reader from the installed set: pyarrow and %s', (engine, extension, implementation) => {
    // Act: after the run above installed the set, one process per engine, importing as the job does
    // (each run loads one driver: psycopg's binary libpq, pyarrow and mysql-connector's C extension in
    // one process exhaust glibc's static TLS here, "cannot allocate memory in static TLS block")
    const packages = join(work, 'packages');
    const report = execFileSync(venvPython, ['-I', '-c', [
      'import json, sys', `sys.path.insert(0, ${JSON.stringify(packages)})`,
      `import floe_extract, floe_extract.sources.${engine}, pyarrow.lib, boto3, psycopg, mysql.connector, ${extension}`,
      `print(json.dumps({"implementation": ${implementation}, "files": [m.__file__ for m in (pyarrow.lib, ${extension}, floe_extract, boto3)], "python": sys.version_info[:2]}))`,
    ].join('\n')], { encoding: 'utf8', env: cleanEnv({}) });
    const imported = JSON.parse(report) as { implementation: string | boolean; files: string[]; python: number[] };

    // Assess: psycopg runs on its binary libpq; the MySQL reader on floe's own C extension
    expect(imported.python).toEqual([3, 9]);
    expect(imported.implementation).toBe(engine === 'postgres' ? 'binary' : true);
    for (const file of imported.files) expect(file.startsWith(packages)).toBe(true);
    expect(imported.files[0]).toMatch(/\.cpython-39-x86_64-linux-gnu\.so$/);
    expect(imported.files[1]).toMatch(engine === 'postgres' ? /psycopg\/__init__\.py$/ : /_mysql_rows\.cpython-39-x86_64-linux-gnu\.so$/);
  }, 60_000);

  it("loads floe_extract's binary COPY reader in C from the installed set, and the job's probe says its rows go through it", () => {
    // Prepare: the set as the job script above installed it
    const packages = join(work, 'packages');
    const extension = join(packages, 'floe_extract', 'sources', '_copy_pump.cpython-39-x86_64-linux-gnu.so');

    // Act: the reader's own test of the extension, after psycopg loaded its libpq; then the probe, as Glue runs it
    const report = execFileSync(venvPython, ['-I', '-c', [
      'import json, sys', `sys.path.insert(0, ${JSON.stringify(packages)})`,
      'import psycopg', 'from floe_extract.sources import libpq_copy',
      'print(json.dumps({"available": libpq_copy.available(), "file": libpq_copy._copy_pump.__file__, "libpq": libpq_copy.libpq_path()}))',
    ].join('\n')], { encoding: 'utf8', env: cleanEnv({}) });
    const probe = runProbe('wh-probe', 'postgres', `${SCHEMA}.orders`, packages, PG_URL);

    // Assess: loaded from the set, on psycopg-binary's own libpq
    expect(JSON.parse(report)).toEqual({ available: true, file: extension, libpq: expect.stringMatching(/psycopg_binary\.libs\/libpq-[0-9a-f]+\.so/) });
    expect(probe.status).toBe(0);
    expect(probeOutcome('wh-probe').steps[1]?.detail).toMatch(/its SELECT ran \(0 rows asked for and read\); COPY rows arrive in binary and go into Arrow through the C extension$/);
  }, 120_000);

  it("reads MySQL rows through floe's C reader from the installed set, and the job's probe says so", () => {
    // Act: the probe, as Glue runs it, with floe's C reader from the set
    const packages = join(work, 'packages');
    const probe = runProbe('wh-probe-my', 'mysql', `${SCHEMA}_orders`, packages, MYSQL_URL);

    // Assess
    expect(probe.status).toBe(0);
    expect(probeOutcome('wh-probe-my').steps[1]?.detail).toMatch(/its SELECT ran \(0 rows asked for and read\); rows are read into Arrow by floe's C extension$/);
  }, 120_000);

  it.each([
    ['_copy_pump', true],
    ['_mysql_rows', false],
  ])('builds %s for glibc 2.17: no symbol of a newer glibc, no library manylinux2014 does not allow', (name, loadsALibrary) => {
    // Prepare
    const extension = join(work, 'packages', 'floe_extract', 'sources', `${name}.cpython-39-x86_64-linux-gnu.so`);

    // Act
    const symbols = execFileSync('objdump', ['-T', extension], { encoding: 'utf8' });
    const needed = [...execFileSync('readelf', ['-d', extension], { encoding: 'utf8' }).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((match) => match[1]);

    // Assess: dlopen and dlsym bound to their GLIBC_2.2.5 versions, not 2.34's (glue/packaging/glibc_2_17_symbols.h);
    // the MySQL reader parses packets itself and loads no library
    const versions = [...symbols.matchAll(/\(GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)/g)].map((match) => [Number(match[1]), Number(match[2])] as const);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter(([major, minor]) => major > 2 || (major === 2 && minor > 17))).toEqual([]);
    if (loadsALibrary) expect(symbols).toMatch(/\(GLIBC_2\.2\.5\)\s+dlopen/);
    else expect(symbols).not.toMatch(/dlopen/);
    expect(needed.sort()).toEqual(['libc.so.6', 'libdl.so.2']);
  });

  it("also installs on manylinux2014's glibc (2.17), where mysql-connector-python has only its pure-Python wheel", () => {
    // Act: pip chooses as on the oldest host the set supports
    const target = join(work, 'oldest');
    execFileSync(venvPython, ['-m', 'pip', 'install', '--isolated', '--quiet', '--no-index', '--find-links', builtWheelhouse(), '--only-binary', ':all:',
      '--require-hashes', '--no-deps', '--platform', 'manylinux2014_x86_64', '--python-version', '3.9', '--implementation', 'cp', '--abi', 'cp39',
      '--target', target, '-r', join(builtWheelhouse(), 'requirements.lock')], { env: cleanEnv({}) });

    // Assess
    const installed = readdirSync(target);
    expect(installed).toEqual(expect.arrayContaining(['pyarrow', 'psycopg_binary', 'mysql', 'floe_extract']));
    expect(installed.filter((name) => name.startsWith('_mysql_connector'))).toEqual([]);
    expect(readdirSync(join(target, 'floe_extract', 'sources'))).toContain('_copy_pump.cpython-39-x86_64-linux-gnu.so');

    // and there floe's C reader still reads MySQL's rows: it parses the packets itself, with no client library
    const probe = runProbe('wh-probe-oldest', 'mysql', `${SCHEMA}_orders`, target, MYSQL_URL);
    expect(probe.status).toBe(0);
    expect(probeOutcome('wh-probe-oldest').steps[1]?.detail).toMatch(/its SELECT ran \(0 rows asked for and read\); rows are read into Arrow by floe's C extension$/);
  }, 120_000);
});
