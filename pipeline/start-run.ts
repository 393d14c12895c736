import { maxConnectionsOf, type TableConfig } from '../config/index.js';
import { FloeError, isRetryable } from '../errors/floe-error.js';
import { GLUE_STARTED, type IngestRequestedEvent } from '../events/index.js';
import { faultPoint } from '../fault/fault-point.js';
import type { StateStore } from '../state/index.js';
import type { RawStorage } from '../storage/raw-storage.js';
import { onIngestRequested } from './expected-run.js';
import { failRun } from './fail-run.js';
import { batchJobArguments, extractionJobArguments, extractionMode, SHARED_JOB_ARGUMENTS } from './job-arguments.js';
import { decideEngine, jobArgumentsFor, NoSparkJob, type EngineDecision } from './extraction-engine.js';
import { endExpiredHolder, TableBusy } from './lease.js';
import { published, type JobStarter, type Published, type TableSizer } from './ports.js';
import { inParallel, STATE_PARALLELISM } from './in-parallel.js';
import { refusal } from './refusal.js';
import type { RunRef } from './run.js';

export interface StartRunDeps {
  state: StateStore;
  jobs: JobStarter;
  /** Where the job lands (its `--raw-root`), and where a job run of several tables finds them. */
  raw: Pick<RawStorage, 'root' | 'writeBatch'>;
  /** The connection the job gets: a URL locally, `secretsmanager:<id>` on AWS. */
  connectionFor: (source: string) => string;
  leaseTtlMs: number;
  now?: () => Date;
  /** The Spark job (`engine: spark`, or `auto` above its threshold); absent where the runtime has none: such a run fails to start, saying so. */
  sparkJobs?: JobStarter;
  /** The catalog's size estimate of a table, for `engine: auto`; absent: auto picks the Python job. */
  sizer?: TableSizer;
}

/**
 * The most tables one job run extracts. A batch pays the job's start-up once; past a hundred
 * tables that saving is spent, while a batch still shares one job run's timeout and, if killed,
 * leaves every table in it to be asked for again.
 */
export const MAX_TABLES_PER_JOB_RUN = 100;

/** The table is not in the state store's config: push the config, or fix the request. */
export class UnknownTable extends FloeError {
  override readonly name = 'UnknownTable';
}

/** A run that took its table and is recorded, waiting for its job to start. */
interface ReadyRun {
  event: IngestRequestedEvent;
  ref: RunRef;
  config: TableConfig;
  mode: TableConfig['mode'];
  watermark: string | null;
  startedAt: Date;
  /** The job this run's table runs on this time, and why. */
  decision: EngineDecision;
}

/**
 * What became of one request: the event to publish for it (GlueStarted, IngestFailed,
 * EventRefused; null for a duplicate), or the error that kept it from starting, which a later
 * delivery of the same request may get past (a throttled store, Glue or the source's connections
 * at their limit). Nothing of a request that failed so is undone: its run and lease are as a retry
 * needs them (onIngestRequested acts on a run recorded without a job run).
 */
export type StartOutcome =
  | { event: IngestRequestedEvent; published: Published | null }
  | { event: IngestRequestedEvent; error: unknown };

/**
 * IngestRequested(s) → each run takes its table's lease and is recorded; the runs of one source
 * start as one extraction job run (up to {@link MAX_TABLES_PER_JOB_RUN} tables, one `--batch`), a
 * lone run as a job run of its own; each run gets its own GlueStarted naming the job run. One
 * outcome per request, in no promised order: one request's failure (its table, or its batch's
 * start) leaves the others' outcomes standing. A request delivered twice starts one job: a run
 * that already has a job run id, or ended, is a duplicate. A busy table ends the request's run as
 * failed (TableBusy). Two deliveries at the same moment are kept apart by the caller (on Lambda,
 * idempotency per run id).
 */
export async function startRuns(deps: StartRunDeps, events: readonly IngestRequestedEvent[]): Promise<StartOutcome[]> {
  const outcomes: StartOutcome[] = [];
  // Source by source, each started before the next source's tables are taken: a table holds its
  // lease without a job for as short a time as can be.
  for (const requests of bySource(events)) {
    const ready: ReadyRun[] = [];
    const taken = await inParallel(requests, STATE_PARALLELISM, async (event): Promise<ReadyRun | StartOutcome> => {
      try {
        const result = await takeTable(deps, event);
        return result === null || 'detailType' in result ? { event, published: result } : result;
      } catch (error) {
        return { event, error };
      }
    });
    for (const outcome of taken) {
      if ('ref' in outcome) ready.push(outcome);
      else outcomes.push(outcome);
    }
    for (const batch of batchesOf(ready)) outcomes.push(...(await startBatch(deps, batch)));
  }
  return outcomes;
}

/** The requests grouped by source, in the order each source is first asked for; a run asked for twice (a redelivery beside the first) once. */
function bySource(events: readonly IngestRequestedEvent[]): IngestRequestedEvent[][] {
  const groups = new Map<string, IngestRequestedEvent[]>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.detail.runId)) continue;
    seen.add(event.detail.runId);
    const group = groups.get(event.detail.source) ?? [];
    group.push(event);
    groups.set(event.detail.source, group);
  }
  return [...groups.values()];
}

/** Checks the request, takes the table's lease and records the run: ready to start, or why not (null: a duplicate). */
async function takeTable(deps: StartRunDeps, event: IngestRequestedEvent): Promise<ReadyRun | Published | null> {
  const now = deps.now ?? (() => new Date());
  const { runId, source, table, keys } = event.detail;
  const ref: RunRef = { runId, source, table };
  const existing = await deps.state.getRun(runId);
  const verdict = onIngestRequested(existing, ref);
  if (verdict === 'duplicate') return null;
  if (verdict !== 'act') return refusal('start-ingest', event, ref, verdict.refused);
  const config = await deps.state.getTableConfig(source, table);
  if (!config) return failRun(deps.state, ref, 'start-ingest', new UnknownTable(`table ${source}/${table} is not in the configuration`, { context: ref }));
  const startedAt = now();
  const holder = (await deps.state.getTableState(source, table)).activeRun;
  const lease = await deps.state.acquireLease(source, table, runId, startedAt, deps.leaseTtlMs);
  if (!lease.acquired) {
    // Recorded (without taking the table's summary from the holder) so whoever asked, such as
    // Snowflake polling request-ingest, sees the refusal instead of waiting for a run that never starts.
    if (!existing) await deps.state.startRun({ runId, source, table, mode: event.detail.mode ?? config.mode, requestedAt: event.detail.publishedAt }, { asLastRun: false });
    return failRun(deps.state, ref, 'start-ingest', new TableBusy(`table busy: run ${lease.heldBy} since ${lease.since}`));
  }
  faultPoint('start-ingest:after-lease');
  if (holder && holder.runId !== runId && Date.parse(holder.expiresAt) <= startedAt.getTime()) await endExpiredHolder(deps.state, holder, runId);
  // A repair run reads its keys whatever the watermark: in full mode, which commits none.
  const mode = keys !== undefined ? 'full' : event.detail.mode ?? config.mode;
  const { watermark } = await deps.state.getTableState(source, table);
  if (existing === null) await deps.state.startRun({ runId, source, table, mode, requestedAt: event.detail.publishedAt });
  faultPoint('start-ingest:after-run-recorded');
  const decision = await decideEngine(config, deps.sizer, { repair: keys !== undefined });
  return { event, ref, config, mode, watermark: mode === 'full' ? null : watermark, startedAt, decision };
}

/**
 * The job runs to start: the ready runs grouped by source, in request order, at most
 * {@link MAX_TABLES_PER_JOB_RUN} to a job run. A repair run (its keys travel in the job's
 * arguments) always starts alone.
 */
function batchesOf(ready: readonly ReadyRun[]): ReadyRun[][] {
  const batches: ReadyRun[][] = [];
  const open = new Map<string, ReadyRun[]>();
  for (const run of ready) {
    // A Spark run is a cluster of its own: it starts alone, as a repair run does.
    if (run.event.detail.keys !== undefined || run.decision.engine === 'spark') {
      batches.push([run]);
      continue;
    }
    let batch = open.get(run.ref.source);
    if (batch === undefined || batch.length === MAX_TABLES_PER_JOB_RUN) {
      batch = [];
      open.set(run.ref.source, batch);
      batches.push(batch);
    }
    batch.push(run);
  }
  return batches;
}

/**
 * Starts one job run for `batch` and returns each run's GlueStarted; a start that cannot succeed
 * fails every run of it (IngestFailed), one that may succeed later is each run's error.
 */
async function startBatch(deps: StartRunDeps, batch: readonly ReadyRun[]): Promise<StartOutcome[]> {
  const [first] = batch;
  if (first === undefined) return [];
  let jobRunId: string;
  const jobs = first.decision.engine === 'spark' ? deps.sparkJobs : deps.jobs;
  try {
    if (jobs === undefined) throw new NoSparkJob(`table ${first.ref.source}/${first.ref.table} runs on the Spark engine (${first.decision.reason}), and this runtime has no Spark job`, { context: first.ref });
    const tables = batch.map((run) => jobArgumentsFor(run.decision, run.config, extractionJobArguments(
      { ...run.config, mode: run.mode, connection: deps.connectionFor(run.ref.source) },
      { runId: run.ref.runId, rawRoot: deps.raw.root, runTime: run.startedAt, watermark: run.watermark, keys: run.event.detail.keys },
    )));
    const maxConnections = maxConnectionsOf(first.config);
    const jobArguments = batch.length === 1
      ? tables[0]!
      : batchJobArguments(tables, await deps.raw.writeBatch(first.ref.runId, {
        batchVersion: 1,
        tables: tables.map((args) => Object.fromEntries(Object.entries(args).filter(([name]) => !SHARED_JOB_ARGUMENTS.includes(name)))),
      }), maxConnections);
    ({ jobRunId } = await jobs.startJobRun(jobArguments, first.decision.capacity));
  } catch (error) {
    if (isRetryable(error)) return batch.map((run) => ({ event: run.event, error }));
    return inParallel(batch, STATE_PARALLELISM, (run) => outcomeOf(run.event, () => failRun(deps.state, run.ref, 'start-ingest', error)));
  }
  faultPoint('start-ingest:after-job-started');
  return inParallel(batch, STATE_PARALLELISM, (run) => recordJobRun(deps, run, jobs.jobName, jobRunId));
}

/** Attempts of a state write that must follow a job run's start, and the wait before the second. */
const RECORD_ATTEMPTS = 3;
const RECORD_BACKOFF_MS = 200;

/**
 * The job run has started: a request failed now would, on its retry, find its run without a job
 * run and start the table a second time beside the first. So a write that may pass again is
 * retried here first (0.2 s, then 0.4 s), and only then fails the request.
 */
async function writtenInPlace(write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= RECORD_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((wake) => setTimeout(wake, RECORD_BACKOFF_MS * attempt));
    }
  }
}

/** The run's job run is recorded (glue-finished finds the run by it) → its GlueStarted; or why not. */
async function recordJobRun(deps: StartRunDeps, run: ReadyRun, jobName: string, jobRunId: string): Promise<StartOutcome> {
  const now = deps.now ?? (() => new Date());
  const { runId, source, table } = run.ref;
  const keys = run.event.detail.keys;
  return outcomeOf(run.event, async () => {
    await writtenInPlace(() => deps.state.updateRun(runId, { jobRunId, extractionEngine: run.decision.engine, engineReason: run.decision.reason }, {
      name: 'start-ingest', startedAt: run.startedAt.toISOString(), finishedAt: now().toISOString(),
      ...(keys !== undefined ? { details: { repairKeys: keys.length } } : {}),
    }));
    return published(GLUE_STARTED, {
      runId, source, table,
      publishedAt: now().toISOString(),
      jobName,
      jobRunId,
      mode: extractionMode(run.mode),
      watermark: run.watermark,
      rawRoot: deps.raw.root,
      runTime: run.startedAt.toISOString(),
    });
  });
}

/** `event`'s outcome: what `work` returns to publish, or the error it threw. */
async function outcomeOf(event: IngestRequestedEvent, work: () => Promise<Published | null>): Promise<StartOutcome> {
  try {
    return { event, published: await work() };
  } catch (error) {
    return { event, error };
  }
}
