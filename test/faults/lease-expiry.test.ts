import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EXIT_TABLE_BUSY } from '../../cli/run.js';
import { ConfigError } from '../../config/index.js';
import { LEASE_TTL_VARIABLE, leaseTtlMs } from '../../runtime/local/lease-ttl.js';
import { assess, formatReport, problemsIn, reportRow } from './assess.js';
import { CLOCK_AHEAD_VARIABLE } from './clock-ahead.js';
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

/** The dead run's lease: an hour, far longer than any machine takes to start the next `floe run`. */
const TTL_SECONDS = 3600;

/**
 * The env of a `floe run` whose clock reads `at` when it is spawned (clock-ahead.ts), `at` being
 * later than now; the clock then runs on, so the run sees `at` plus however long it takes to start.
 */
function clockFrom(at: number): Record<string, string> {
  return { [CLOCK_AHEAD_VARIABLE]: String(Math.max(0, at - Date.now())) };
}

describe('A stale lease left by a killed run', () => {
  it('keeps the table busy until it expires, then the next run takes the table over and finishes the work', async () => {
    // Prepare: a run killed between the raw load and the MERGE, holding an hour's lease
    await source.change();
    const faulted = await floeRun(project, { FLOE_FAULT: 'load-and-merge:after-raw-load', [LEASE_TTL_VARIABLE]: String(TTL_SECONDS) });
    const deadRunId = await lastRequestedRun(project);
    const held = await statusOf(project);
    const since = Date.parse(held.activeRun?.since ?? '');
    const expiresAt = Date.parse(held.activeRun?.expiresAt ?? '');
    await source.change();

    // Act: runs started with their clocks at now, ten minutes before the lease expires and a second
    // after (each clock the test's, so none depends on how fast a child starts), and the status
    // just before and at the expiry
    const refused = await floeRun(project);
    const refusedLater = await floeRun(project, clockFrom(expiresAt - 600_000));
    const stillHeld = await statusOf(project, new Date(expiresAt - 1));
    const expired = await statusOf(project, new Date(expiresAt));
    const takeover = await floeRun(project, clockFrom(expiresAt + 1000));
    const takeoverRunId = await lastRequestedRun(project);
    const assessment = await assess(project);
    const row = reportRow(`load-and-merge:after-raw-load (${TTL_SECONDS} s lease)`, {
      faulted: describeFaulted(faulted),
      leftBehind: `lease until ${held.activeRun?.expiresAt ?? '-'}`,
      unlock: 'none: clock past the lease',
      recovery: takeover.code === 0 ? 'ok' : describeFaulted(takeover),
    }, assessment);
    process.stdout.write(`\n${formatReport('Lease expiry', [row])}\n\n`);

    // Assess
    expect(faulted).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(held).toMatchObject({ state: 'running', activeRun: { runId: deadRunId } });
    expect(expiresAt - since).toBe(TTL_SECONDS * 1000);
    for (const busy of [refused, refusedLater]) {
      expect(busy.code).toBe(EXIT_TABLE_BUSY);
      expect(busy.stdout).toContain(`table busy: run ${deadRunId} since`);
    }
    expect(stillHeld).toMatchObject({ state: 'running', activeRun: { runId: deadRunId } });
    expect(expired).toMatchObject({ state: 'lease expired', activeRun: { runId: deadRunId } });
    expect(takeover.code).toBe(0);
    expect(takeoverRunId).not.toBe(deadRunId);
    expect(problemsIn(assessment)).toEqual([]);
    expect(await project.state.getRun(deadRunId)).toMatchObject({
      status: 'failed',
      error: { name: 'LeaseExpired', message: `its lease of the table expired at ${held.activeRun?.expiresAt} and run ${takeoverRunId} took the table over` },
    });
    expect(await project.state.getRun(takeoverRunId)).toMatchObject({ status: 'succeeded' });
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
