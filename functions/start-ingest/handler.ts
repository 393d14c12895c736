import { GLUE_STARTED, INGEST_REQUESTED, type FloeEvent, type GlueStarted } from '../../events/index.js';
import { faultPoint } from '../../fault/fault-point.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { ActiveRun, StateStore } from '../../state/index.js';
import { onIngestRequested } from '../expected-run.js';
import { failRun } from '../publish-failure.js';
import { refuseEvent } from '../refuse-event.js';
import { extractionJobArguments } from './job-arguments.js';

export interface JobStarter {
  readonly jobName: string;
  startJobRun(jobArguments: Record<string, string>): Promise<{ jobRunId: string }>;
}

/** Another run holds the table's lease; asking again once it ends will work. */
class TableBusy extends Error {
  override readonly name = 'TableBusy';
  readonly retryable = true;
}

export interface StartIngestDeps {
  state: StateStore;
  publisher: Publisher;
  jobs: JobStarter;
  rawRoot: string;
  /** The connection the job gets: a URL locally, `secretsmanager:<id>` on AWS. */
  connectionFor: (source: string) => string;
  leaseTtlMs: number;
  now?: () => Date;
}

/**
 * Ends the run whose expired lease this run took over: it died (or outlived its lease) and would
 * otherwise show as running for ever. Its watermark was never committed, so this run reads its rows again.
 */
async function endExpiredHolder(state: StateStore, holder: ActiveRun, runId: string): Promise<void> {
  if ((await state.getRun(holder.runId))?.status !== 'running') return;
  await state.finishRun(holder.runId, 'failed', {
    name: 'LeaseExpired',
    message: `its lease of the table expired at ${holder.expiresAt} and run ${runId} took the table over`,
    retryable: true,
  });
}

/**
 * IngestRequested → takes the table's lease, starts the extraction job, publishes GlueStarted.
 * A request delivered twice starts one job: a run that already has a job run id is left alone.
 * A request naming the run id of another table's run is refused (EventRefused), changing nothing.
 * Two deliveries at the same moment are kept apart by the caller (on Lambda, idempotency per run id).
 */
export function createStartIngest(deps: StartIngestDeps): (event: FloeEvent) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    if (event['detail-type'] !== INGEST_REQUESTED) return;
    const { runId, source, table } = event.detail;
    const run = { runId, source, table };
    const existing = await deps.state.getRun(runId);
    // A duplicate delivery must not start a second job, nor revive a run that already ended;
    // `floe replay` gives the request a new run id instead. A run id of another table is refused.
    const verdict = onIngestRequested(existing, run);
    if (verdict === 'duplicate') return;
    if (verdict !== 'act') return refuseEvent(deps.publisher, 'start-ingest', event, run, verdict.refused);

    const config = await deps.state.getTableConfig(source, table);
    if (!config) {
      await failRun(deps.state, deps.publisher, run, 'start-ingest', new Error(`table ${source}/${table} is not in the configuration`));
      return;
    }
    const startedAt = now();
    const holder = (await deps.state.getTableState(source, table)).activeRun;
    const lease = await deps.state.acquireLease(source, table, runId, startedAt, deps.leaseTtlMs);
    if (!lease.acquired) {
      // Recorded (without taking the table's summary from the holder) so whoever asked, such as
      // Snowflake polling request-ingest, sees the refusal instead of waiting for a run that never starts.
      if (!existing) await deps.state.startRun({ runId, source, table, mode: event.detail.mode ?? config.mode, requestedAt: event.detail.publishedAt }, { asLastRun: false });
      await failRun(deps.state, deps.publisher, run, 'start-ingest', new TableBusy(`table busy: run ${lease.heldBy} since ${lease.since}`));
      return;
    }
    faultPoint('start-ingest:after-lease');
    if (holder && holder.runId !== runId && Date.parse(holder.expiresAt) <= startedAt.getTime()) await endExpiredHolder(deps.state, holder, runId);
    // A repair run reads its keys whatever the watermark: in full mode, which commits none.
    const keys = event.detail.keys;
    const mode = keys !== undefined ? 'full' : event.detail.mode ?? config.mode;
    try {
      const { watermark } = await deps.state.getTableState(source, table);
      const effectiveWatermark = mode === 'incremental' ? watermark : null;
      if (!existing) await deps.state.startRun({ runId, source, table, mode, requestedAt: event.detail.publishedAt });
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
      const detail: GlueStarted = {
        ...run,
        publishedAt: now().toISOString(),
        jobName: deps.jobs.jobName,
        jobRunId,
        mode,
        watermark: effectiveWatermark,
        rawRoot: deps.rawRoot,
        runTime: startedAt.toISOString(),
      };
      await deps.publisher.publish(GLUE_STARTED, detail);
    } catch (error) {
      await failRun(deps.state, deps.publisher, run, 'start-ingest', error);
    }
  };
}
