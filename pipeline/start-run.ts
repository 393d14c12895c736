import type { TableConfig } from '../config/index.js';
import { FloeError, isRetryable } from '../errors/floe-error.js';
import { GLUE_STARTED, type IngestRequestedEvent } from '../events/index.js';
import { faultPoint } from '../fault/fault-point.js';
import type { StateStore } from '../state/index.js';
import { onIngestRequested } from './expected-run.js';
import { failRun } from './fail-run.js';
import { extractionJobArguments, extractionMode } from './job-arguments.js';
import { endExpiredHolder, TableBusy } from './lease.js';
import { published, type JobStarter, type Published } from './ports.js';
import { refusal } from './refusal.js';
import type { RunRef } from './run.js';

export interface StartRunDeps {
  state: StateStore;
  jobs: JobStarter;
  rawRoot: string;
  /** The connection the job gets: a URL locally, `secretsmanager:<id>` on AWS. */
  connectionFor: (source: string) => string;
  leaseTtlMs: number;
  now?: () => Date;
}

/** The table is not in the state store's config: push the config, or fix the request. */
export class UnknownTable extends FloeError {
  override readonly name = 'UnknownTable';
}

/**
 * IngestRequested → takes the table's lease, records the run, starts the extraction job, and
 * returns GlueStarted. A request delivered twice starts one job: a run that already has a job run
 * id, or ended, is a duplicate. A busy table ends the request's run as failed (TableBusy). Two
 * deliveries at the same moment are kept apart by the caller (on Lambda, idempotency per run id).
 */
export async function startRun(deps: StartRunDeps, event: IngestRequestedEvent): Promise<Published[]> {
  const now = deps.now ?? (() => new Date());
  const { runId, source, table } = event.detail;
  const ref: RunRef = { runId, source, table };
  const existing = await deps.state.getRun(runId);
  const verdict = onIngestRequested(existing, ref);
  if (verdict === 'duplicate') return [];
  if (verdict !== 'act') return [refusal('start-ingest', event, ref, verdict.refused)];
  const config = await deps.state.getTableConfig(source, table);
  if (!config) return [await failRun(deps.state, ref, 'start-ingest', new UnknownTable(`table ${source}/${table} is not in the configuration`, { context: ref }))];
  const startedAt = now();
  const holder = (await deps.state.getTableState(source, table)).activeRun;
  const lease = await deps.state.acquireLease(source, table, runId, startedAt, deps.leaseTtlMs);
  if (!lease.acquired) {
    // Recorded (without taking the table's summary from the holder) so whoever asked, such as
    // Snowflake polling request-ingest, sees the refusal instead of waiting for a run that never starts.
    if (!existing) await deps.state.startRun({ runId, source, table, mode: event.detail.mode ?? config.mode, requestedAt: event.detail.publishedAt }, { asLastRun: false });
    return [await failRun(deps.state, ref, 'start-ingest', new TableBusy(`table busy: run ${lease.heldBy} since ${lease.since}`))];
  }
  faultPoint('start-ingest:after-lease');
  if (holder && holder.runId !== runId && Date.parse(holder.expiresAt) <= startedAt.getTime()) await endExpiredHolder(deps.state, holder, runId);
  try {
    return [await startJob(deps, event, config, startedAt, existing === null)];
  } catch (error) {
    if (isRetryable(error)) throw error;
    return [await failRun(deps.state, ref, 'start-ingest', error)];
  }
}

/** Records the run (when new), starts its job with the table's arguments, and returns GlueStarted. */
async function startJob(deps: StartRunDeps, event: IngestRequestedEvent, config: TableConfig, startedAt: Date, isNew: boolean): Promise<Published> {
  const now = deps.now ?? (() => new Date());
  const { runId, source, table, keys } = event.detail;
  // A repair run reads its keys whatever the watermark: in full mode, which commits none.
  const mode = keys !== undefined ? 'full' : event.detail.mode ?? config.mode;
  const { watermark } = await deps.state.getTableState(source, table);
  const effectiveWatermark = extractionMode(mode) === 'incremental' ? watermark : null;
  if (isNew) await deps.state.startRun({ runId, source, table, mode, requestedAt: event.detail.publishedAt });
  faultPoint('start-ingest:after-run-recorded');
  const jobArguments = extractionJobArguments(
    { ...config, mode, connection: deps.connectionFor(source) },
    { runId, rawRoot: deps.rawRoot, runTime: startedAt, watermark: effectiveWatermark, keys },
  );
  const { jobRunId } = await deps.jobs.startJobRun(jobArguments);
  faultPoint('start-ingest:after-job-started');
  await deps.state.updateRun(runId, { jobRunId });
  await deps.state.recordStep(runId, {
    name: 'start-ingest', startedAt: startedAt.toISOString(), finishedAt: now().toISOString(),
    ...(keys !== undefined ? { details: { repairKeys: keys.length } } : {}),
  });
  return published(GLUE_STARTED, {
    runId, source, table,
    publishedAt: now().toISOString(),
    jobName: deps.jobs.jobName,
    jobRunId,
    mode: extractionMode(mode),
    watermark: effectiveWatermark,
    rawRoot: deps.rawRoot,
    runTime: startedAt.toISOString(),
  });
}
