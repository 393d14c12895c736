import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { checkCommand } from '../../cli/check.js';
import { discoverCommand } from '../../cli/discover.js';
import { logsCommand } from '../../cli/logs.js';
import { statusCommand } from '../../cli/status.js';
import { floe } from '../faults/project.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../faults/source-table.js';
import { startMoto, type MotoServer } from '../moto.js';

/**
 * A whole local pipeline with real credentials, scanned for them afterwards: a PostgreSQL role and
 * a MariaDB user (real password authentication) with one distinctive password, reached through
 * every way the config takes a connection (`${VAR}`, `${VAR:-default}`, `secretsmanager:`).
 * Every file the commands wrote and everything they printed, succeeding and failing, must hold
 * neither the password (plain or URL-encoded) nor a URL carrying it.
 */

const USER = uniqueName('floe_scan');
/** Characters a URL must encode, so both spellings are looked for. */
const PASSWORD = `Fl0e#Sc4n@q7/${process.pid}`;
const ENCODED = encodeURIComponent(PASSWORD);
const PG_SCAN_URL = `postgresql://${USER}:${ENCODED}@127.0.0.1:5432/postgres`;
const MY_SCAN_URL = `mysql://${USER}:${ENCODED}@127.0.0.1:3306/${USER}`;
const SECRET_ID = `floe/${USER}`;
const NEEDLES = [PASSWORD, ENCODED, PG_SCAN_URL, MY_SCAN_URL, `${USER}:${ENCODED}@`];

interface Output {
  command: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs a floe command in this process (as cheap as a function call, where a child process costs
 * seconds of CPU) with `env` set and stdout and stderr captured; an error it throws is captured as
 * Node would print it, cause included.
 */
async function inProcess(command: (argv: string[]) => Promise<number>, argv: string[], env: Record<string, string>): Promise<Output> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: unknown) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    await command(argv);
  } catch (error) {
    err.push(inspect(error, { depth: 10 }));
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
  return { command: `${command.name} ${argv.join(' ')}`, stdout: out.join(''), stderr: err.join('') };
}

/** Every file under `folder`, recursively (the config file, which holds no secret here, included). */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Where a needle occurs: `what: needle`, for a failure message that says where without printing much. */
function leaks(what: string, text: string): string[] {
  return NEEDLES.filter((needle) => text.includes(needle)).map((needle) => `${what}: ${needle === PASSWORD ? 'the password' : needle}`);
}

describe('Secrets: a local pipeline with real credentials prints and writes none', () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  let root: mysql.Connection;
  let moto: MotoServer;
  let folder: string;
  const outputs: Output[] = [];

  beforeAll(async () => {
    // Prepare: the role, the user, their tables, the secret
    const motoStarting = startMoto();
    await admin.connect();
    await admin.query(`drop schema if exists ${USER} cascade`);
    await admin.query(`drop role if exists ${USER}`);
    await admin.query(`create role ${USER} login password '${PASSWORD}'`);
    await admin.query(`create schema ${USER}; create table ${USER}.t (id int primary key, v text, updated_at timestamptz); insert into ${USER}.t values (1, 'a', now()), (2, 'b', now())`);
    await admin.query(`grant usage on schema ${USER} to ${USER}; grant select on ${USER}.t to ${USER}`);
    root = await mysql.createConnection({ uri: MYSQL_URL });
    await root.query(`drop database if exists ${USER}`);
    await root.query(`create database ${USER}`);
    await root.query(`create table ${USER}.t (id int primary key, v text, updated_at datetime(6))`);
    await root.query(`insert into ${USER}.t values (1, 'a', now()), (2, 'b', now())`);
    await root.query(`drop user if exists '${USER}'@'127.0.0.1'`);
    await root.query(`create user '${USER}'@'127.0.0.1' identified by '${PASSWORD}'`);
    await root.query(`grant select on ${USER}.* to '${USER}'@'127.0.0.1'`);
    moto = await motoStarting;
    const secrets = new SecretsManagerClient(moto.config);
    await secrets.send(new CreateSecretCommand({
      Name: SECRET_ID,
      SecretString: JSON.stringify({ username: USER, password: PASSWORD, host: '127.0.0.1', port: 3306, dbname: USER }),
    }));
    secrets.destroy();

    folder = await mkdtemp(join(tmpdir(), 'floe-secrets-'));
    const config = join(folder, 'floe.config.yaml');
    const tables = (qualified: string): string[] => [
      '    retry: { attempts: 1 }',
      '    tables:',
      `      - name: ${qualified}t`,
      '        primaryKey: [id]',
      '        incrementalColumn: updated_at',
      `      - name: ${qualified}missing`,
      '        primaryKey: [id]',
    ];
    await writeFile(
      config,
      [
        'raw: ./raw',
        'state: ./state',
        'warehouse: duckdb://./warehouse.duckdb',
        'gold: ./gold',
        'sources:',
        '  - name: pg',
        '    engine: postgres',
        '    connection: ${SCAN_PG_URL}',
        ...tables(`${USER}.`),
        '  - name: my',
        '    engine: mysql',
        '    connection: ${SCAN_MY_URL:-mysql://nobody@127.0.0.1:3306/none}',
        ...tables(''),
        '  - name: sm',
        '    engine: mysql',
        `    connection: secretsmanager:${SECRET_ID}`,
        ...tables(''),
        '',
      ].join('\n'),
    );
    const aws = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.config.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const good = { ...aws, SCAN_PG_URL: PG_SCAN_URL, SCAN_MY_URL: MY_SCAN_URL };
    // Refused connections and a refused login: the drivers' own error messages travel then.
    const bad = { ...aws, SCAN_PG_URL: PG_SCAN_URL.replace(':5432/', ':1/'), SCAN_MY_URL: MY_SCAN_URL.replace(ENCODED, `${ENCODED}-wrong`) };
    const run = async (env: Record<string, string>): Promise<void> => {
      const result = await floe(['run', '--config', config], env);
      outputs.push({ command: 'floe run', stdout: result.stdout, stderr: result.stderr });
    };
    const cli = async (command: (argv: string[]) => Promise<number>, argv: string[], env: Record<string, string>): Promise<Output> => {
      const output = await inProcess(command, [...argv, '--config', config], env);
      outputs.push(output);
      return output;
    };

    // Act
    await run(good);
    const status = await cli(statusCommand, ['--json'], good);
    const runIds = (JSON.parse(status.stdout) as { lastRun: { runId: string } | null }[]).flatMap((table) => (table.lastRun ? [table.lastRun.runId] : []));
    for (const runId of runIds) {
      await cli(logsCommand, [runId], good);
      await cli(logsCommand, [runId, '--json'], good);
    }
    await cli(statusCommand, [], good);
    for (const source of ['pg', 'my', 'sm']) await cli(checkCommand, ['--source', source], good);
    await cli(discoverCommand, ['--source', 'pg', '--schema', USER], good);
    await cli(discoverCommand, ['--source', 'my'], good);
    await run(bad);
    await cli(checkCommand, ['--source', 'pg'], bad);
    await cli(checkCommand, ['--source', 'my'], bad);
    await cli(discoverCommand, ['--source', 'my'], bad);
    await cli(discoverCommand, ['--source', 'pg'], bad);
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
    await admin.query(`drop schema if exists ${USER} cascade`);
    await admin.query(`drop role if exists ${USER}`);
    await admin.end();
    await root.query(`drop database if exists ${USER}`);
    await root.query(`drop user if exists '${USER}'@'127.0.0.1'`);
    await root.end();
  });

  it('ran for real: each mechanism reached its table, the wrong tables and the bad credentials failed', () => {
    // Assess
    const [first, badRun] = outputs.filter((output) => output.command === 'floe run');
    expect(first?.stdout).toMatch(/pg\/floe_scan_\d+\.t +incremental +2 /);
    expect(first?.stdout).toMatch(/my\/t +incremental +2 /);
    expect(first?.stdout).toMatch(/sm\/t +incremental +2 /);
    expect(first?.stdout).toContain('6 table(s), 3 failed');
    expect(badRun?.stdout).toContain('6 table(s), 5 failed');
    expect(badRun?.stdout).toMatch(/my\/t .*FAILED extract: cannot connect to mysql:\/\/floe_scan_\d+@127\.0\.0\.1:3306\/floe_scan_\d+: Access denied/);
  });

  it('prints neither the password nor a URL carrying it, in any command, succeeding or failing', () => {
    // Act
    const found = outputs.flatMap(({ command, stdout, stderr }) => [...leaks(`${command} stdout`, stdout), ...leaks(`${command} stderr`, stderr)]);

    // Assess
    expect(outputs.length).toBeGreaterThanOrEqual(20);
    expect(found).toEqual([]);
  });

  it('writes them into no file: state, events, raw files, manifests, job logs, the DuckDB file', async () => {
    // Act
    const files = await filesUnder(folder);
    const found = (await Promise.all(files.map(async (file) => leaks(file, (await readFile(file)).toString('latin1') + (await readFile(file, 'utf8')))))).flat();

    // Assess
    expect(files.map((file) => file.slice(folder.length + 1).split('/')[0]).filter((top, i, all) => all.indexOf(top) === i).sort()).toEqual([
      'floe.config.yaml',
      'raw',
      'state',
      'warehouse.duckdb',
    ]);
    expect(files.some((file) => file.includes('/_manifests/'))).toBe(true);
    expect(files.some((file) => file.includes('/_logs/'))).toBe(true);
    expect(files.some((file) => file.endsWith('events.jsonl'))).toBe(true);
    expect(found).toEqual([]);
  });
});
