import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { assess, formatReport, problemsIn, reportRow } from './assess.js';
import { describeFaulted } from './crash-cycle.js';
import { eventsOf, floeRun, lastRequestedRun, projectIn, statusOf, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * The raw folder fills up while the job writes Parquet. The raw root is a 256 KiB tmpfs (the tests
 * run as root in CI); where mounting is not allowed, the same write failure is made by a file
 * standing where the job's data folder must go, and the report says which one ran.
 */
const run = promisify(execFile);
const source = new PostgresSourceTable(uniqueName('floe_fault_disk'));
let root: string;
let project: Project;
/** How the write failure is made: `tmpfs` (disk full) or `blocked` (a file where a folder must go). */
let variant: 'tmpfs' | 'blocked';

async function mountTinyDisk(dir: string): Promise<boolean> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  // About 600 KB of Parquet: 4,000 rows of 256 random hex characters (8 different md5s), which
  // compress to half at best, more than the 256 KiB disk holds.
  await source.create(4000);
  await source.execute(`update ${source.table} set label = (select string_agg(md5(id::text || '-' || g), '') from generate_series(1, 8) g)`);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-disk-'));
  project = projectIn(join(root, 'project'), source, { rawRoot: join(root, 'project', 'raw') });
  await mkdir(project.rawRoot, { recursive: true });
  await writeProject(project, { partitions: 1 });
  if (await mountTinyDisk(project.rawRoot)) {
    variant = 'tmpfs';
  } else {
    variant = 'blocked';
    await writeFile(join(project.rawRoot, 'PostgreSQL'), 'a file where the job needs a folder\n');
  }
});

afterAll(async () => {
  if (variant === 'tmpfs') await run('umount', [project.rawRoot]).catch(() => undefined);
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

describe('A raw folder that cannot take the files', () => {
  it('fails the run cleanly with no manifest and no data files, and the next run, with room, loads everything', async () => {
    // Act
    const failed = await floeRun(project);
    const deadRunId = await lastRequestedRun(project);
    const ingestFailed = (await eventsOf(project)).find((event) => event['detail-type'] === 'IngestFailed' && event.detail.runId === deadRunId);
    const files = await readdir(project.rawRoot, { recursive: true });
    const manifest = await access(join(project.rawRoot, '_manifests', `${deadRunId}.json`)).then(() => true, () => false);
    const afterFailure = await statusOf(project);
    if (variant === 'tmpfs') await run('mount', ['-o', 'remount,size=64m', project.rawRoot]);
    else await rm(join(project.rawRoot, 'PostgreSQL'));
    await source.change();
    const recovery = await floeRun(project);
    const assessment = await assess(project);
    const row = reportRow(variant === 'tmpfs' ? 'raw folder full (256 KiB tmpfs)' : 'raw folder unwritable (file blocks the data folder)', {
      faulted: describeFaulted(failed),
      leftBehind: `${files.filter((file) => file.endsWith('.parquet') || file.endsWith('.part')).length} data file(s)${manifest ? ', manifest' : ', no manifest'}`,
      unlock: '-',
      recovery: recovery.code === 0 ? 'ok' : describeFaulted(recovery),
    }, assessment);
    process.stdout.write(`\n${formatReport(`Write failure in the job (${variant})`, [row])}\n\n`);

    // Assess
    expect(failed.code).toBe(1);
    expect(ingestFailed?.detail).toMatchObject({
      step: 'extract',
      error: variant === 'tmpfs' ? expect.stringMatching(/could not write .*No space left on device/) : expect.stringMatching(/could not write .*/),
    });
    expect(manifest).toBe(false);
    expect(files.filter((file) => file.endsWith('.parquet') || file.endsWith('.part'))).toEqual([]);
    expect(afterFailure).toMatchObject({ activeRun: null, watermark: null });
    expect(recovery.code).toBe(0);
    expect(problemsIn(assessment)).toEqual([]);
  });
});
