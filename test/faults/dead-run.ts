import { access, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { RunRecord } from '../../state/index.js';
import { assess, type Assessment } from './assess.js';
import { eventsOf, statusOf, type LoggedEvent, type Project } from './project.js';

/**
 * What one table's run left when its `floe run` was killed, read before anything else runs (and
 * before the source changes again, so the assessment compares the warehouse with the source the
 * dead run read).
 */
export interface DeadRun {
  project: Project;
  /** The run the killed `floe run` requested for the table; null if it died before logging the request. */
  runId: string | null;
  record: RunRecord | null;
  /** The run holding the table's lease now, if any. */
  leaseHolder: string | null;
  /** The detail-types of the events the run published, in order (as the bus logged them). */
  events: string[];
  manifest: boolean;
  /** The run's Parquet files in the raw folder. */
  dataFiles: number;
  /** The warehouse against the source as the run left them: staging, raw, watermark, gold. */
  assessment: Assessment;
  /** Rows of the run in raw. */
  rawRows: number;
  /** The events of its job's log, once the job ended (none when no job was started for it, or the job was killed before it logged). */
  jobLog: string[];
}

const manifestFile = (project: Project, runId: string): string => join(project.rawRoot, '_manifests', `${runId}.json`);
const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

/** The event log's length now: {@link deadRunOf} looks only at what is logged after it. */
export async function eventCount(project: Project): Promise<number> {
  return (await eventsOf(project)).length;
}

/**
 * What the table's run left, its run being the table's IngestRequested logged after the first
 * `since` events. A run that was recorded had its job started; this waits for that job to end
 * (it may have outlived floe), so nothing of the dead run is still at work when the test goes on.
 */
export async function deadRunOf(project: Project, since: number): Promise<DeadRun> {
  const events: LoggedEvent[] = (await eventsOf(project)).slice(since);
  const requested = events.find(
    (event) => event['detail-type'] === 'IngestRequested' && event.detail['source'] === project.sourceName && event.detail['table'] === project.table,
  );
  const runId = requested?.detail.runId ?? null;
  const record = runId === null ? null : await project.state.getRun(runId);
  // floe saw the job end (the run ended, or recorded its extract step), or the job outlived floe.
  const jobEnded = record === null || record.status !== 'running' || record.steps.some((step) => step.name === 'extract');
  const jobLog = record === null ? [] : await jobLogWhenEnded(project, record.runId, jobEnded ? 0 : 30);
  const files = runId === null ? [] : (await readdir(project.rawRoot, { recursive: true })).filter((file) => basename(file).startsWith(`${runId}-`));
  const assessment = await assess(project);
  return {
    project,
    runId,
    record,
    leaseHolder: (await statusOf(project)).activeRun?.runId ?? null,
    events: runId === null ? [] : events.filter((event) => event.detail.runId === runId).map((event) => event['detail-type']),
    manifest: runId !== null && (await exists(manifestFile(project, runId))),
    dataFiles: files.filter((file) => file.endsWith('.parquet')).length,
    assessment,
    rawRows: runId === null ? 0 : (assessment.rawRowsByRun.get(runId) ?? 0),
    jobLog,
  };
}

/** The events of the run's job log (`_logs/…/<run id>.jsonl`, JSON lines with an `event`). */
async function jobLog(project: Project, runId: string): Promise<string[]> {
  const logs = (await readdir(join(project.rawRoot, '_logs'), { recursive: true }).catch(() => [])).filter((file) => basename(file) === `${runId}.jsonl`);
  const text = logs[0] === undefined ? '' : await readFile(join(project.rawRoot, '_logs', logs[0]), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => String((JSON.parse(line) as { event?: unknown }).event));
}

/**
 * The events of the run's job log once the job ended: when it logs `finish` or `error`, waiting
 * up to `seconds` for it (a job can outlive the `floe run` that started it); at once when 0.
 */
async function jobLogWhenEnded(project: Project, runId: string, seconds: number): Promise<string[]> {
  for (const deadline = Date.now() + seconds * 1000; ; await sleep(200)) {
    const events = await jobLog(project, runId);
    if (seconds === 0 || events.includes('finish') || events.includes('error')) return events;
    if (Date.now() > deadline) throw new Error(`the job of run ${runId} did not end within ${seconds} s; its log so far: ${events.join(', ') || 'none'}`);
  }
}
