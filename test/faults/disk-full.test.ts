import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { assess, formatReport, problemsIn, reportRow } from './assess.js';
import { describeFaulted } from './crash-cycle.js';
import { eventsOf, floeRun, lastRequestedRun, projectIn, statusOf, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * The raw folder fills up while the job writes Parquet: the raw root is a 256 KiB tmpfs. Mounting
 * one needs root (CAP_SYS_ADMIN), which the tests have in CI; where the mount is refused, the test
 * fails and says why, rather than passing on some other write failure.
 */
const run = promisify(execFile);
const DISK_BYTES = 256 * 1024;
/** `f_type` of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const source = new PostgresSourceTable(uniqueName('floe_fault_disk'));
let root: string;
let project: Project;
let mounted = false;

/** Mounts a {@link DISK_BYTES} tmpfs on `dir`, or throws saying why the test cannot run. */
async function mountTinyDisk(dir: string): Promise<void> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES / 1024}k`, 'tmpfs', dir]);
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || String(error);
    throw new Error(`the disk-full test mounts a ${DISK_BYTES / 1024} KiB tmpfs on the raw folder and needs root for it (CAP_SYS_ADMIN): mount failed: ${reason}`, { cause: error });
  }
  mounted = true;
  const disk = await statfs(dir);
  if (disk.type !== TMPFS_MAGIC || disk.blocks * disk.bsize !== DISK_BYTES) {
    throw new Error(`${dir} is not a ${DISK_BYTES}-byte tmpfs after mounting one: type ${disk.type.toString(16)}, ${disk.blocks * disk.bsize} bytes`);
  }
}

/** Bytes of the Parquet files under `dir`. */
async function parquetBytes(dir: string): Promise<number> {
  const files = (await readdir(dir, { recursive: true })).filter((file) => file.endsWith('.parquet'));
  const sizes = await Promise.all(files.map(async (file) => (await stat(join(dir, file))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
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
  await mountTinyDisk(project.rawRoot);
});

afterAll(async () => {
  if (mounted) await run('umount', [project.rawRoot]);
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

describe('A raw folder that fills up while the job writes', () => {
  it('fails the run in the extraction on ENOSPC, with no manifest and no data files, and the next run, with room, loads everything', async () => {
    // Act
    const failed = await floeRun(project);
    const deadRunId = await lastRequestedRun(project);
    const ingestFailed = (await eventsOf(project)).find((event) => event['detail-type'] === 'IngestFailed' && event.detail.runId === deadRunId);
    const files = await readdir(project.rawRoot, { recursive: true });
    const manifest = await access(join(project.rawRoot, '_manifests', `${deadRunId}.json`)).then(() => true, () => false);
    const afterFailure = await statusOf(project);
    await run('mount', ['-o', 'remount,size=64m', project.rawRoot]);
    await source.change();
    const recovery = await floeRun(project);
    const assessment = await assess(project);
    const landed = await parquetBytes(project.rawRoot);
    const row = reportRow(`raw folder full (${DISK_BYTES / 1024} KiB tmpfs)`, {
      faulted: describeFaulted(failed),
      leftBehind: `${files.filter((file) => file.endsWith('.parquet') || file.endsWith('.part')).length} data file(s)${manifest ? ', manifest' : ', no manifest'}`,
      unlock: '-',
      recovery: recovery.code === 0 ? `ok, ${Math.round(landed / 1024)} KiB of Parquet` : describeFaulted(recovery),
    }, assessment);
    process.stdout.write(`\n${formatReport('Disk full in the job', [row])}\n\n`);

    // Assess: the job's write failed for want of space (errno 28, ENOSPC), and the disk could not have held the files
    expect(failed).toMatchObject({ code: 1, signal: null });
    expect(ingestFailed?.detail).toMatchObject({
      step: 'extract',
      error: expect.stringMatching(/^could not write Parquet for part 0: \[Errno 28\] .*No space left on device/),
    });
    expect(landed).toBeGreaterThan(DISK_BYTES);
    expect(manifest).toBe(false);
    expect(files.filter((file) => file.endsWith('.parquet') || file.endsWith('.part'))).toEqual([]);
    expect(afterFailure).toMatchObject({ activeRun: null, watermark: null });
    expect(recovery.code).toBe(0);
    expect(problemsIn(assessment)).toEqual([]);
  });
});
