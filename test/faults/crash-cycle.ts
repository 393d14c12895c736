import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { assess, reportRow, type Assessment, type ReportRow } from './assess.js';
import { floeRun, lastRequestedRun, statusOf, unlock, type FloeResult, type Project } from './project.js';

/** What a killed run left behind, read from the state file and the raw folder before anything else runs. */
export interface Remains {
  deadRunId: string;
  /** The dead run still holds the table's lease. */
  lease: boolean;
  /** The dead run's record: running, failed, … or none at all. */
  runStatus: string;
  /** Its manifest exists (the job finished writing). */
  manifest: boolean;
  watermark: string | null;
}

export interface CrashCycle {
  faulted: FloeResult;
  remains: Remains;
  unlocked: { code: number; stdout: string; stderr: string } | null;
  recovery: FloeResult;
  assessment: Assessment;
  /** The dead run's manifest total, when it wrote one. */
  deadRunRows: number | null;
  report: ReportRow;
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

async function remainsOf(project: Project): Promise<Remains> {
  const deadRunId = await lastRequestedRun(project);
  const status = await statusOf(project);
  return {
    deadRunId,
    lease: status.activeRun?.runId === deadRunId,
    runStatus: (await project.state.getRun(deadRunId))?.status ?? 'no record',
    manifest: await exists(join(project.rawRoot, '_manifests', `${deadRunId}.json`)),
    watermark: status.watermark,
  };
}

export function describeFaulted(result: FloeResult): string {
  if (result.signal !== null) return `killed (${result.signal})`;
  const failure = /FAILED (.*)$/m.exec(result.stdout)?.[1];
  if (failure === undefined) return `exit ${result.code}`;
  return `exit ${result.code}: ${failure.length > 90 ? `${failure.slice(0, 89)}…` : failure}`;
}

export interface CrashOptions {
  /** Source rows updated before each of the two runs (default 3; 2 rows are inserted too). */
  updates?: number;
  /**
   * Wait for the dead run's lease to expire instead of `floe unlock`: the faulted run then takes a
   * lease of this many seconds (FLOE_LEASE_TTL_SECONDS).
   */
  expireLeaseAfterSeconds?: number;
  /**
   * Change the source again between the crash and the recovery (default true). Without a change,
   * the recovery must finish the dead run's work from what it left: nothing new masks a stale gold.
   */
  changeBeforeRecovery?: boolean;
}

/**
 * One crash and recovery: change the source, `floe run` with FLOE_FAULT=`point`, look at what it left,
 * change the source again (unless told not to), `floe unlock` the dead run if it still holds the table (its id from
 * `floe status --json`) or wait for its lease to expire, `floe run` again without the fault, and
 * assess the project.
 */
export async function crashAndRecover(project: Project, point: string, options: CrashOptions = {}): Promise<CrashCycle> {
  const ttl = options.expireLeaseAfterSeconds;
  await project.source.change(options.updates);
  const faulted = await floeRun(project, { FLOE_FAULT: point, ...(ttl === undefined ? {} : { FLOE_LEASE_TTL_SECONDS: String(ttl) }) });
  const remains = await remainsOf(project);
  if (options.changeBeforeRecovery ?? true) await project.source.change(options.updates);
  const active = (await statusOf(project)).activeRun;
  let unlocked: CrashCycle['unlocked'] = null;
  if (active !== null && ttl === undefined) unlocked = await unlock(project, active.runId);
  if (active !== null && ttl !== undefined) await sleep(Math.max(0, Date.parse(active.expiresAt) - Date.now()) + 100);
  const recovery = await floeRun(project);
  const assessment = await assess(project);
  const manifestFile = join(project.rawRoot, '_manifests', `${remains.deadRunId}.json`);
  const deadRunRows = remains.manifest ? (JSON.parse(await readFile(manifestFile, 'utf8')) as { totalRows: number }).totalRows : null;
  const left = [remains.lease ? 'lease' : 'no lease', `run ${remains.runStatus}`, remains.manifest ? 'manifest' : 'no manifest'];
  const report = reportRow(
    point,
    {
      faulted: describeFaulted(faulted),
      leftBehind: left.join(', '),
      unlock: unlocked === null ? (active === null ? '-' : 'lease expired') : unlocked.code === 0 ? 'unlocked' : `exit ${unlocked.code}`,
      recovery: recovery.code === 0 ? `ok ${recovery.seconds.toFixed(1)} s` : describeFaulted(recovery),
    },
    assessment,
  );
  return { faulted, remains, unlocked, recovery, assessment, deadRunRows, report };
}
