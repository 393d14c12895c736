/**
 * What each event of the choreography implies about the run it names, checked by the handler
 * before it acts: an event on the bus is a claim, and the run's record (written by the steps that
 * really ran) is what it is checked against. Each check answers `act`, `duplicate` (the step this
 * event causes is already done: dropped quietly, as at-least-once delivery requires), or a refusal
 * naming what did not match (the handler publishes EventRefused and changes nothing).
 *
 * Replays (`replay-name`, set by `floe replay` and EventBridge archive replays) run a step again
 * on purpose, so they are excepted from the checks of progress (running, not done yet), never
 * from those of identity (the run exists, for this table; the manifest is this run's).
 */
import type { Manifest } from '../events/index.js';
import { succeededStep, type RunRecord, type StepName } from '../state/index.js';
import type { RunRef } from './run.js';

export type Verdict = 'act' | 'duplicate' | { refused: string };

const succeeded = (run: RunRecord, step: StepName): boolean => succeededStep(run, step) !== undefined;

function stepsOf(run: RunRecord): string {
  return run.steps.length === 0 ? 'no steps' : `steps: ${run.steps.map((s) => (s.error ? `${s.name} (failed)` : s.name)).join(', ')}`;
}

function unknownRun(ref: RunRef, detailType: string): { refused: string } {
  return { refused: `run ${ref.runId} is not recorded: floe publishes ${detailType} only for runs it started` };
}

/** Why `run` is not the run `ref` names, or null when it belongs to the same source and table. */
function otherTable(run: RunRecord, ref: RunRef): { refused: string } | null {
  if (run.source === ref.source && run.table === ref.table) return null;
  return { refused: `run ${ref.runId} is a run of ${run.source}/${run.table}, not of ${ref.source}/${ref.table}` };
}

/**
 * IngestRequested: the run is new, or was recorded for the same table (a start retried after it
 * failed part-way). One already past its start (a job run recorded, or ended) is a duplicate.
 */
export function onIngestRequested(run: RunRecord | null, ref: RunRef): Verdict {
  if (run === null) return 'act';
  const other = otherTable(run, ref);
  if (other !== null) return other;
  return run.jobRunId !== undefined || run.status !== 'running' ? 'duplicate' : 'act';
}

/** Why a Glue state change of a job run no run recorded is refused. */
export function unknownJobRun(jobRunId: string): string {
  return `no run has Glue job run ${jobRunId}: floe records the job run id of every job it starts`;
}

/**
 * Glue Job State Change, for the run that recorded its job run id (start-ingest did): the run is
 * still running. Its end already seen (a manifest or an extract step recorded) makes a duplicate.
 */
export function onGlueJobEnded(run: RunRecord, replayed: boolean): Verdict {
  if (replayed) return 'act';
  if (run.manifestUrl !== undefined || run.steps.some((s) => s.name === 'extract')) return 'duplicate';
  if (run.status !== 'running') return { refused: `run ${run.runId} already ended (${run.status}) before the end of its job was seen` };
  return 'act';
}

/**
 * RawLanded: the run exists for this table, glue-finished recorded its job run and the manifest
 * the event points at, and (unless replayed) it is still running. Already merged, a duplicate.
 * The manifest itself is checked once read ({@link manifestMismatch}).
 */
export function onRawLanded(run: RunRecord | null, ref: RunRef, manifestUrl: string, replayed: boolean): Verdict {
  if (run === null) return unknownRun(ref, 'RawLanded');
  const other = otherTable(run, ref);
  if (other !== null) return other;
  if (!replayed && succeeded(run, 'load-and-merge')) return 'duplicate';
  if (run.jobRunId === undefined || run.manifestUrl === undefined) {
    return { refused: `run ${ref.runId} has no ${run.jobRunId === undefined ? 'job run' : 'manifest'} recorded: its extraction was not seen to finish (${stepsOf(run)})` };
  }
  if (run.manifestUrl !== manifestUrl) return { refused: `the event's manifest ${manifestUrl} is not run ${ref.runId}'s, ${run.manifestUrl}` };
  if (!replayed && run.status !== 'running') return { refused: `run ${ref.runId} already ended (${run.status}); only a replay loads an ended run again` };
  return 'act';
}

/**
 * StageMerged: the run exists for this table and its load-and-merge succeeded; a replay may also
 * name a run that committed its watermark (it merged, and a later failed replay of its RawLanded
 * replaced the step). `doneStep` already succeeded (and not a replay): a duplicate.
 */
export function onStageMerged(run: RunRecord | null, ref: RunRef, replayed: boolean, doneStep?: StepName): Verdict {
  if (run === null) return unknownRun(ref, 'StageMerged');
  const other = otherTable(run, ref);
  if (other !== null) return other;
  const merged = succeeded(run, 'load-and-merge') || (replayed && run.watermarkCommittedAt !== undefined);
  if (!merged) return { refused: `run ${ref.runId} has not merged (it is ${run.status}; ${stepsOf(run)}), so no StageMerged of it can be true` };
  if (doneStep !== undefined && !replayed && succeeded(run, doneStep)) return 'duplicate';
  return 'act';
}

/** Why `manifest` is not the manifest of the run `ref` names, or null when its run id, database and table match. */
export function manifestMismatch(manifest: Pick<Manifest, 'runId' | 'database' | 'table'>, ref: RunRef, location: string): string | null {
  const differing = [
    manifest.runId !== ref.runId ? `run ${manifest.runId}` : null,
    manifest.database !== ref.source ? `database ${manifest.database}` : null,
    manifest.table !== ref.table ? `table ${manifest.table}` : null,
  ].filter((part): part is string => part !== null);
  if (differing.length === 0) return null;
  return `manifest ${location} names ${differing.join(', ')}; the event names run ${ref.runId} of ${ref.source}/${ref.table}`;
}
