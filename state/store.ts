import type { TableConfig } from '../config/table-config.js';
import type { LeaseResult, NewRun, RunError, RunRecord, RunStep, RunUpdate, SlotGrant, TableState } from './items.js';

/** How {@link StateStore.startRun} records a run. */
export interface StartRunOptions {
  /**
   * False for a run that never took its table (refused: the table was busy), so the table's
   * summary keeps pointing at the run that holds it. Default true.
   */
  asLastRun?: boolean;
}

/** What {@link StateStore.commitLoad} writes at the end of a run's load. */
export interface LoadCommit {
  /** Committed as {@link StateStore.commitWatermark} would; absent: the watermark stays (a repair, a full run without one). */
  watermark?: { value: string | null } | undefined;
  /** The run's facts, as {@link StateStore.updateRun} sets them; its job run was recorded when it started. */
  update: Omit<RunUpdate, 'jobRunId'>;
  /** The step that learned them. */
  step: RunStep;
  /** Release the table's lease if the run holds it, as {@link StateStore.releaseLease}. */
  releaseLease: boolean;
}

/** Filter for {@link StateStore.listRuns}. */
export interface ListRunsQuery {
  source?: string | undefined;
  table?: string | undefined;
  limit: number;
}

/**
 * Table config and runtime metadata. Locally a folder of files, one per item
 * (`LocalStateStore`); on AWS DynamoDB, with the same items (see `items.ts`).
 * Every mutation is idempotent, because events are delivered at least once.
 */
export interface StateStore {
  /** Upsert table config items (pushed from `floe.config.yaml`); tables not listed are left alone. */
  putTableConfigs(configs: readonly TableConfig[]): Promise<void>;
  getTableConfig(source: string, table: string): Promise<TableConfig | null>;
  /** Every configured table of `source`, ordered by table name; empty for an unknown source. */
  listTableConfigs(source: string): Promise<TableConfig[]>;

  /** The table's watermark, lease and newest run; a never-seen table has a null watermark and no lease. */
  getTableState(source: string, table: string): Promise<TableState>;

  /**
   * Take the table's lease with a conditional write. It succeeds when no run
   * holds it, the holder's lease expired at `now`, or `runId` already holds it
   * (then the expiry is renewed to `now + ttlMs`, `since` is kept).
   */
  acquireLease(source: string, table: string, runId: string, now: Date, ttlMs: number): Promise<LeaseResult>;
  /** Release the lease if `runId` holds it; returns whether it did. */
  releaseLease(source: string, table: string, runId: string): Promise<boolean>;

  /**
   * Set the committed watermark (text, stored exactly as given). Idempotent per
   * run: a second commit by a run that already committed changes nothing, even
   * after later runs committed, so replays never move the watermark back.
   * Returns whether this call changed it.
   */
  commitWatermark(source: string, table: string, runId: string, watermark: string | null): Promise<{ committed: boolean }>;

  /**
   * The end of a run's load, in one write where the store can (the local store: one transaction of
   * the run and its table's state, where these were three, each waiting on its own fsyncs): the
   * watermark, the run's facts and step, and the release of the lease, with each one's own rules
   * (a second commit by the same run changes no watermark; a lease another run holds stays). A
   * crash leaves all of it or none, or, where the store writes them apart, them in that order.
   */
  commitLoad(runId: string, commit: LoadCommit): Promise<{ committed: boolean; released: boolean }>;

  /** Record a new run as `running`; a second call with the same run id returns the existing record. */
  startRun(run: NewRun, options?: StartRunOptions): Promise<RunRecord>;
  /** Add or replace (by step name) a step of the run. */
  recordStep(runId: string, step: RunStep): Promise<void>;
  /**
   * Set facts learned during the run (Glue job run id, manifest URL, row counts); with `step`, the
   * step that learned them is recorded too, as {@link recordStep} would (in the same write where
   * the store can: a step's end is one write, not two).
   */
  updateRun(runId: string, update: RunUpdate, step?: RunStep): Promise<void>;
  /**
   * Mark the run finished; the same status again keeps the first `finishedAt`. With `step`, the
   * step that finished it is recorded too, as {@link recordStep} would, even when the run had ended.
   */
  finishRun(runId: string, status: 'succeeded' | 'failed', error?: RunError, step?: RunStep): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Runs newest first (by `requestedAt`, then run id). */
  listRuns(query: ListRunsQuery): Promise<RunRecord[]>;
  /**
   * The runs a Glue job run was started for (glue-finished maps "Glue Job State Change" back to
   * floe's runs; one job run may extract several tables, each its own run), oldest first (by
   * `requestedAt`, then run id); empty when none.
   */
  findRunsByJobRunId(jobRunId: string): Promise<RunRecord[]>;

  /**
   * Hold up to `want` of the `limit` connection slots of `source` for `ttlMs` from `now`, so the
   * connections floe opens on a source stay bounded across processes and job runs. Grants
   * `min(want, limit - slots held by other holders whose expiry is after now)`, possibly 0. Asking
   * again as the same holder renews: the holder then holds what this call granted (asking twice
   * for 2 holds 2, not 4), with the new expiry. A grant of 0 leaves the holder holding nothing.
   * Returns the grant and every live holder after the call.
   */
  acquireSourceSlots(source: string, holder: string, want: number, limit: number, now: Date, ttlMs: number): Promise<SlotGrant>;
  /** Give back whatever `holder` holds on `source`; holding nothing is fine. */
  releaseSourceSlots(source: string, holder: string): Promise<void>;
}
