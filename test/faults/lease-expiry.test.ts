import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { EXIT_TABLE_BUSY } from '../../cli/run.js';
import { ConfigError } from '../../config/index.js';
import { LEASE_TTL_VARIABLE, leaseTtlMs } from '../../runtime/local/lease-ttl.js';
import { assess, formatReport, problemsIn, reportRow } from './assess.js';
import { describeFaulted } from './crash-cycle.js';
import { floeRun, lastRequestedRun, projectIn, statusOf, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';
import { JOB_TIMEOUT_MINUTES, LEASE_TTL_MS } from '../../pipeline/lease.js';

const source = new PostgresSourceTable(uniqueName('floe_fault_lease'));
let root: string;
let project: Project;

beforeAll(async () => {
  await source.create(200);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-lease-'));
  project = projectIn(join(root, 'project'), source);
  await writeProject(project);
  const first = await floeRun(project);
  if (first.code !== 0) throw new Error(`the first run failed: ${first.stdout}${first.stderr}`);
});

afterAll(async () => {
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

describe('A stale lease left by a killed run', () => {
  it('keeps the table busy until it expires, then the next run takes the table over and finishes the work', async () => {
    // Prepare: a run killed between the raw load and the MERGE, holding an 8-second lease (long
    // enough for the next run to start and find it held even on a busy machine)
    await source.change();
    const faulted = await floeRun(project, { FLOE_FAULT: 'load-and-merge:after-raw-load', [LEASE_TTL_VARIABLE]: '8' });
    const deadRunId = await lastRequestedRun(project);
    await source.change();

    // Act: a run while the lease holds, then one after it expired
    const refused = await floeRun(project);
    const held = await statusOf(project);
    const expiresAt = Date.parse(held.activeRun?.expiresAt ?? '');
    await sleep(Math.max(0, expiresAt - Date.now()) + 100);
    const expired = await statusOf(project);
    const takeover = await floeRun(project);
    const assessment = await assess(project);
    const row = reportRow('load-and-merge:after-raw-load (8 s lease)', {
      faulted: describeFaulted(faulted),
      leftBehind: `lease until ${held.activeRun?.expiresAt ?? '-'}`,
      unlock: 'none: waited',
      recovery: takeover.code === 0 ? 'ok' : describeFaulted(takeover),
    }, assessment);
    process.stdout.write(`\n${formatReport('Lease expiry', [row])}\n\n`);

    // Assess
    expect(faulted.signal).toBe('SIGKILL');
    expect(refused.code).toBe(EXIT_TABLE_BUSY);
    expect(refused.stdout).toContain(`table busy: run ${deadRunId} since`);
    expect(held).toMatchObject({ state: 'running', activeRun: { runId: deadRunId } });
    expect(expiresAt - Date.parse(held.activeRun?.since ?? '')).toBe(8000);
    expect(expired).toMatchObject({ state: 'lease expired', activeRun: { runId: deadRunId } });
    expect(takeover.code).toBe(0);
    expect(problemsIn(assessment)).toEqual([]);
    expect(await project.state.getRun(deadRunId)).toMatchObject({
      status: 'failed',
      error: { name: 'LeaseExpired', message: expect.stringContaining(`its lease of the table expired at ${held.activeRun?.expiresAt}`) },
    });
  });
});

describe(`${LEASE_TTL_VARIABLE}`, () => {
  it('sets the lease of local runs in seconds, and leaves it at the job timeout plus an hour when unset or empty', () => {
    expect(leaseTtlMs({ [LEASE_TTL_VARIABLE]: '90' })).toBe(90_000);
    expect(leaseTtlMs({})).toBe((JOB_TIMEOUT_MINUTES + 60) * 60 * 1000);
    expect(leaseTtlMs({ [LEASE_TTL_VARIABLE]: '' })).toBe(LEASE_TTL_MS);
  });

  it.each(['0', '-5', '1.5', '2h', ' 3'])('refuses %j, naming the variable', (value) => {
    expect(() => leaseTtlMs({ [LEASE_TTL_VARIABLE]: value })).toThrow(ConfigError);
    expect(() => leaseTtlMs({ [LEASE_TTL_VARIABLE]: value })).toThrow(`${LEASE_TTL_VARIABLE} must be a whole number of seconds above 0, got ${JSON.stringify(value)}`);
  });
});
