import { access, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assess, formatReport, problemsIn, reportRow, type ReportRow } from './assess.js';
import { describeFaulted } from './crash-cycle.js';
import {
  eventsOf, floeRun, lastRequestedRun, projectIn, statusOf, writeProject, type FloeResult, type LoggedEvent, type Project, type ProjectRetry,
} from './project.js';
import { PausedCopy } from './paused-copy.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.js';

/**
 * The source goes away in the middle of a read: its connection is dropped (the shared server
 * terminates the job's backend), or the whole server stops (a server of the test's own). With one
 * attempt, the run must fail with IngestFailed naming the cause, land nothing, keep the watermark,
 * free the table; the next run must load everything. With retries, a source back before the last
 * attempt costs a retry, not the run.
 */

const report: ReportRow[] = [];
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'floe-faults-outage-'));
});

afterAll(async () => {
  process.stdout.write(`\n${formatReport('Source outages mid-extraction', report)}\n\n`);
  await rm(root, { recursive: true, force: true });
});

/** What a failed run left: its IngestFailed, data files, manifest, the job log's finished parts, and the table's state. */
async function aftermath(project: Project): Promise<{
  ingestFailed: LoggedEvent | undefined;
  dataFiles: string[];
  manifest: boolean;
  partsFinished: number[];
  retries: JobLogRecord[];
  status: Awaited<ReturnType<typeof statusOf>>;
}> {
  const runId = await lastRequestedRun(project);
  const files = await readdir(project.rawRoot, { recursive: true });
  const logFile = files.find((file) => file.startsWith('_logs') && file.endsWith(`${runId}.jsonl`));
  const log = logFile === undefined ? '' : await readFile(join(project.rawRoot, logFile), 'utf8');
  const records = log.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JobLogRecord);
  return {
    ingestFailed: (await eventsOf(project)).find((event) => event['detail-type'] === 'IngestFailed' && event.detail.runId === runId),
    dataFiles: files.filter((file) => file.includes(runId) && file.endsWith('.parquet')),
    manifest: await access(join(project.rawRoot, '_manifests', `${runId}.json`)).then(() => true, () => false),
    partsFinished: records.filter((record) => record.event === 'part').map((record) => record.part ?? -1),
    retries: records.filter((record) => record.event === 'retry'),
    status: await statusOf(project),
  };
}

/** The fields of the job's log records these tests read. */
interface JobLogRecord {
  event: string;
  part?: number;
  attempt?: number;
  error?: string;
  message?: string;
  waitSeconds?: number;
}

async function projectReadingThrough(name: string, source: PostgresSourceTable, view: string, retry?: ProjectRetry): Promise<Project> {
  const project = projectIn(join(root, name), source, { table: view });
  await writeProject(project, retry === undefined ? {} : { retry });
  const first = await floeRun(project);
  if (first.code !== 0) throw new Error(`the first run failed: ${first.stdout}${first.stderr}`);
  return project;
}

function row(what: string, failed: FloeResult, left: Awaited<ReturnType<typeof aftermath>>, recovery: FloeResult, assessment: Awaited<ReturnType<typeof assess>>): ReportRow {
  return reportRow(what, {
    faulted: describeFaulted(failed),
    leftBehind: `${left.dataFiles.length} Parquet file(s), ${left.manifest ? 'manifest' : 'no manifest'}, ${left.status.activeRun ? 'lease' : 'no lease'}`,
    unlock: '-',
    recovery: recovery.code === 0 ? 'ok' : describeFaulted(recovery),
  }, assessment);
}

// libpq's own words after it: the server's FATAL when it read that message before the socket
// closed, else its "server closed the connection unexpectedly" (the COPY pump reads in bulk).
const LOST_CONNECTION = /^table floe_fault_\w+\.slow_items: lost the connection to postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres while reading: .*(terminating connection due to administrator command|server closed the connection unexpectedly)/;

describe('A source connection dropped mid-extraction', () => {
  const source = new PostgresSourceTable(uniqueName('floe_fault_conn'));

  afterAll(async () => {
    await source.drop();
    await source.close();
  });

  it('fails the run with IngestFailed naming the lost connection, and the next run recovers with nothing lost', async () => {
    // Prepare
    await source.create(300);
    const pause = await PausedCopy.create(source);
    const project = await projectReadingThrough('conn', source, pause.view);
    const watermark = (await statusOf(project)).watermark;
    await source.change();
    await pause.set(true);

    // Act: terminate the job's backend while partition 1 reads; then resume, change more rows, run again
    const [failed, terminated] = await Promise.all([
      floeRun(project),
      pause.waitUntilPaused(project.rawRoot, 15_000).then((paused) => (paused ? pause.terminate() : 0)),
    ]);
    const left = await aftermath(project);
    await pause.set(false);
    await source.change();
    const recovery = await floeRun(project);
    const assessment = await assess(project);
    report.push(row('connection dropped (backend terminated mid-COPY)', failed, left, recovery, assessment));

    // Assess
    expect(terminated).toBeGreaterThan(0);
    expect(failed.code).toBe(1);
    expect(left.ingestFailed?.detail).toMatchObject({ step: 'extract', error: expect.stringMatching(LOST_CONNECTION) });
    // Partition 0 had landed its file before partition 1 lost the connection; the job took it back.
    expect(left.partsFinished).toEqual([0]);
    expect(left.dataFiles).toEqual([]);
    expect(left.manifest).toBe(false);
    expect(left.status).toMatchObject({ activeRun: null, watermark });
    expect(recovery.code).toBe(0);
    expect(problemsIn(assessment)).toEqual([]);
  });
});

describe('A source server stopped mid-extraction', () => {
  let server: ThrowawayPostgres;
  let source: PostgresSourceTable;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    source = new PostgresSourceTable(uniqueName('floe_fault_stop'), server.url);
  });

  afterAll(async () => {
    await source.close();
    await server.remove();
  });

  it('fails the run naming the lost connection, fails the next one naming the refused connection, and recovers once the server is back', async () => {
    // Prepare
    await source.create(300);
    const pause = await PausedCopy.create(source);
    const project = await projectReadingThrough('stop', source, pause.view);
    const watermark = (await statusOf(project)).watermark;
    await source.change();
    await pause.set(true);

    // Act: stop the server (fast shutdown) while partition 1 reads, run while it is down, start it, run again
    const [failed, stopped] = await Promise.all([
      floeRun(project),
      pause.waitUntilPaused(project.rawRoot, 15_000).then(async (paused) => (paused ? (await server.stop(), true) : false)),
    ]);
    const left = await aftermath(project);
    const whileDown = await floeRun(project);
    const leftWhileDown = await aftermath(project);
    await server.start();
    await source.reconnect();
    await pause.set(false);
    await source.change();
    const recovery = await floeRun(project);
    const assessment = await assess(project);
    report.push(row('server stopped (pg_ctl stop -m fast mid-COPY)', failed, left, whileDown, assessment));
    report.push(row('run while the server is down, then started', whileDown, leftWhileDown, recovery, assessment));

    // Assess
    expect(stopped).toBe(true);
    expect(failed.code).toBe(1);
    expect(left.ingestFailed?.detail).toMatchObject({ step: 'extract', error: expect.stringMatching(LOST_CONNECTION) });
    expect(left.dataFiles).toEqual([]);
    expect(left.manifest).toBe(false);
    expect(whileDown.code).toBe(1);
    expect(leftWhileDown.ingestFailed?.detail).toMatchObject({
      step: 'extract',
      error: expect.stringMatching(/^cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: .*(refused|No such file)/),
    });
    expect(leftWhileDown.status).toMatchObject({ activeRun: null, watermark });
    expect(recovery.code).toBe(0);
    expect(problemsIn(assessment)).toEqual([]);
  });
});

describe('A source connection dropped mid-extraction, and back within the retries', () => {
  const source = new PostgresSourceTable(uniqueName('floe_fault_retry'));

  afterAll(async () => {
    await source.drop();
    await source.close();
  });

  it('retries the extraction after the configured wait, and the run succeeds with every row loaded once', async () => {
    // Prepare: three attempts, half a second before the second
    await source.create(300);
    const pause = await PausedCopy.create(source);
    const project = await projectReadingThrough('retry', source, pause.view, { attempts: 3, backoffSeconds: 0.5, maxBackoffSeconds: 1 });
    await source.change();
    await pause.set(true);

    // Act: while partition 1 reads, lift the pause and terminate the job's backend; the retry reads freely
    const [run, terminated] = await Promise.all([
      floeRun(project),
      pause.waitUntilPaused(project.rawRoot, 15_000).then(async (paused) => (paused ? (await pause.set(false), pause.terminate()) : 0)),
    ]);
    const left = await aftermath(project);
    const assessment = await assess(project);
    report.push(reportRow('connection dropped, back before the retry (3 attempts, 0.5 s backoff)', {
      faulted: `${left.retries.length} retry, then ${describeFaulted(run)}`,
      leftBehind: `${left.dataFiles.length} Parquet file(s), ${left.manifest ? 'manifest' : 'no manifest'}, ${left.status.activeRun ? 'lease' : 'no lease'}`,
      unlock: '-',
      recovery: '- (the run itself)',
    }, assessment));

    // Assess: one retry, logged and printed; no IngestFailed; the table loaded row by row, nothing twice
    expect(terminated).toBeGreaterThan(0);
    expect(run.code).toBe(0);
    expect(left.retries).toEqual([expect.objectContaining({ attempt: 1, error: 'SourceUnavailableError', waitSeconds: 0.5, message: expect.stringMatching(LOST_CONNECTION) })]);
    expect(run.stdout + run.stderr).toMatch(/attempt 1 of 3 failed: table \S+: lost the connection .*; retrying in 0\.5 s/);
    expect(left.ingestFailed).toBeUndefined();
    expect(left.manifest).toBe(true);
    const manifest = JSON.parse(await readFile(join(project.rawRoot, '_manifests', `${await lastRequestedRun(project)}.json`), 'utf8')) as { files: { path: string }[] };
    expect(left.dataFiles.sort()).toEqual(manifest.files.map((file) => file.path).sort());
    expect(left.status.activeRun).toBeNull();
    expect(problemsIn(assessment)).toEqual([]);
  });
});
