import { FloeError } from '../errors/floe-error.js';
import type { ActiveRun, StateStore } from '../state/index.js';
import type { RunRef } from './run.js';

/**
 * The longest an extraction job may run: the Glue job's timeout (infra/extraction-job.ts reads it
 * here). A run holds its table for that, plus time to load, merge and build gold.
 */
export const JOB_TIMEOUT_MINUTES = 12 * 60;

/**
 * How long a run's table lease lasts before another run may take it over: the job's timeout and
 * an hour for the steps after it. One value, so the lease can never expire under a job still
 * writing (two extractions of one table at once). `floe unlock` frees a dead run's lease sooner.
 */
export const LEASE_TTL_MS = (JOB_TIMEOUT_MINUTES + 60) * 60 * 1000;

/** The run no longer holds its table: it must land nothing more. */
export class LeaseLost extends FloeError {
  override readonly name = 'LeaseLost';
}

/** Another run holds the table's lease; asking again once it ends will work. */
export class TableBusy extends FloeError {
  override readonly name = 'TableBusy';

  constructor(message: string) {
    // Retrying the same request moments later meets the same holder: the run ends, and the
    // IngestFailed says a later request may work.
    super(message, { retryable: true });
  }
}

/**
 * Fencing: a run may load and commit only while it holds its table. One that outlived its lease
 * (or was `floe unlock`ed while it was in fact alive) must not move the watermark under the run
 * that took the table over. Checked before each durable effect of the run on the warehouse and
 * the watermark. Replays run without a lease by design; the rollback guard covers them.
 */
export async function requireLease(state: StateStore, ref: RunRef): Promise<void> {
  const holder = (await state.getTableState(ref.source, ref.table)).activeRun;
  if (holder?.runId === ref.runId) return;
  const now = holder === null ? 'no run holds it now' : `run ${holder.runId} holds it since ${holder.since}`;
  throw new LeaseLost(
    `run ${ref.runId} no longer holds table ${ref.source}/${ref.table} (${now}): its lease expired or was freed by floe unlock, ` +
      'so nothing more of it lands and the watermark stays; the next run reads its rows again',
    { context: { ...ref } },
  );
}

/**
 * Ends the run whose expired lease this run took over: it died (or outlived its lease) and would
 * otherwise show as running for ever. Its watermark was never committed, so this run reads its rows again.
 */
export async function endExpiredHolder(state: StateStore, holder: ActiveRun, runId: string): Promise<void> {
  if ((await state.getRun(holder.runId))?.status !== 'running') return;
  await state.finishRun(holder.runId, 'failed', {
    name: 'LeaseExpired',
    message: `its lease of the table expired at ${holder.expiresAt} and run ${runId} took the table over`,
    retryable: true,
  });
}
