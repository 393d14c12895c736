import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { floe } from '../faults/project.js';

const ADMIN_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `floe_conn_limit_${process.pid}`;
const ROLE = `floe_conn_limit_${process.pid}`;
/** The source's maxConnections, and the role's own CONNECTION LIMIT: one more connection would be refused. */
const LIMIT = 2;
const TABLES = ['a', 'b', 'c', 'd', 'e', 'f'];

/**
 * Issue 20: `maxConnections` bounds every connection floe opens on a source at once, across the
 * job runs, partitions, checks after merge, delete detection and `floe check` — from several
 * processes of one project at once. The source's role has a CONNECTION LIMIT equal to it, so one
 * connection too many fails the run ("too many connections for role"), and pg_stat_activity is
 * sampled while they run.
 */
describe('floe run and floe check under a role with a connection limit', () => {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  let configFile: string;
  let most = 0;
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();

  const sample = () => {
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        const { rows } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where usename = $1', [ROLE]);
        most = Math.max(most, Number(rows[0]?.n));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await admin.query(`drop role if exists ${ROLE}; create role ${ROLE} login connection limit ${LIMIT}`);
    await admin.query(`grant usage on schema ${SCHEMA} to ${ROLE}`);
    for (const table of TABLES) {
      await admin.query(`create table ${SCHEMA}.${table} (id int primary key, v text, updated_at timestamptz not null default now())`);
      await admin.query(`insert into ${SCHEMA}.${table} (id, v) select g, md5(g::text) from generate_series(1, 3000) g`);
    }
    await admin.query(`grant select on all tables in schema ${SCHEMA} to ${ROLE}`);
    const folder = await mkdtemp(join(tmpdir(), 'floe-conn-limit-'));
    configFile = join(folder, 'floe.config.yaml');
    const table = (name: string, extra: string) => `      - { name: ${SCHEMA}.${name}, primaryKey: [id], incrementalColumn: updated_at${extra} }`;
    await writeFile(configFile, [
      'sources:',
      '  - name: src',
      '    engine: postgres',
      `    connection: postgresql://${ROLE}@127.0.0.1:5432/postgres`,
      `    maxConnections: ${LIMIT}`,
      '    tables:',
      table('a', ', partitionColumn: id, partitions: 2, check: after-merge'),
      table('b', ', deletes: detect, check: after-merge'),
      ...TABLES.slice(2).map((name) => table(name, ', check: after-merge')),
    ].join('\n'));
  }, 60_000);

  afterAll(async () => {
    sampling = false;
    await sampler;
    await admin.query(`drop schema if exists ${SCHEMA} cascade`);
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [ROLE]);
    await admin.query(`drop role if exists ${ROLE}`);
    await admin.end();
  });

  it('never opens more than maxConnections, and nothing is refused for it', async () => {
    // Prepare: the first load, then changes and deletes at the source
    sample();
    const first = await floe(['run', '--config', configFile]);
    for (const name of TABLES) await admin.query(`update ${SCHEMA}.${name} set v = 'changed', updated_at = now() where id % 10 = 0`);
    await admin.query(`delete from ${SCHEMA}.b where id % 7 = 0`);

    // Act: at once, from three processes: a run of the table read in 2 parts (the whole limit), a
    // run of the table with delete detection, and a check
    const [left, right, check] = await Promise.all([
      floe(['run', '--config', configFile, '--table', `${SCHEMA}.a`]),
      floe(['run', '--config', configFile, '--table', `${SCHEMA}.b`]),
      floe(['check', '--config', configFile, '--table', `${SCHEMA}.c`]),
    ]);
    sampling = false;
    await sampler;

    // Assess
    expect(first).toMatchObject({ code: 0 });
    expect(left).toMatchObject({ code: 0 });
    expect(left.stdout).toMatch(/a\s+incremental\s+300\s/);
    expect(right).toMatchObject({ code: 0 });
    expect(right.stdout).toMatch(/b\s+incremental\s+\d+\s+0\s+\d+\s+428\s/);
    expect(check.stdout + check.stderr).not.toMatch(/too many connections|error/i);
    expect([0, 1]).toContain(check.code);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(LIMIT);
  }, 300_000);
});
