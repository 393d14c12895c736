import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TableConfigSchema, type TableConfig } from '../config/table-config.js';
import { tableKey } from '../config/tables.js';
import { removeDeadWritersTempFiles, writeFileAtomic } from './atomic-file.js';
import { StateError } from './errors.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { itemText, readItem, readItemText } from './local-item-file.js';
import { LocalLayout } from './local-layout.js';
import { migrateVersion1 } from './local-migration.js';
import { addRunEntry, runEntries, runIdsOfJobRun } from './local-run-index.js';
import { ItemChanges, replayJournal } from './local-transaction.js';
import {
  NewRunSchema,
  RunErrorSchema,
  RunIdSchema,
  RunRecordSchema,
  RunStepSchema,
  RunUpdateSchema,
  SourceSlotsSchema,
  TableStateSchema,
  type LeaseResult,
  type NewRun,
  type RunError,
  type RunRecord,
  type RunStep,
  type RunUpdate,
  type SlotGrant,
  type TableState,
} from './items.js';
import { checkSlotRequest, grantSlots, releaseSlots } from './source-slots.js';
import type { ListRunsQuery, LoadCommit, StartRunOptions, StateStore } from './store.js';

export interface LocalStateStoreOptions {
  /** Clock for `finishedAt` and commit times; default the system clock. */
  now?: () => Date;
  /** How long to wait for another process's lock (default 45 s, past the 30 s staleness). */
  lockTimeoutMs?: number;
  /** A lock older than this whose process is dead is broken (default 30 s). */
  lockStaleMs?: number;
}

const emptyTableState = (source: string, table: string): TableState => ({ source, table, watermark: null, watermarkRunId: null, activeRun: null });
const notStarted = (runId: string) => new StateError(`run ${runId} is not in the state store; start it with startRun first`, { retryable: false });
const byTable = (a: TableConfig, b: TableConfig): number => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0);

/**
 * {@link StateStore} in a folder, one file per item (the layout is in `local-layout.ts`), so what
 * an operation costs does not grow with the number of tables or the length of the history.
 *
 * Every file is replaced whole (temp file, fsync, rename, fsync of its folder), so readers take no
 * lock and never see part of an item. Writers take a lock per table (its state and its runs) or per
 * source (its connection slots), files created with O_EXCL, so conditional writes (the lease, the
 * watermark commit, the slots) hold across processes; a change of several items goes through the
 * scope's journal, so a crash never leaves half of it (`local-transaction.ts`). A version-1
 * `state.json` is migrated when the store is first used (`local-migration.ts`).
 */
export class LocalStateStore implements StateStore {
  readonly layout: LocalLayout;
  private readonly now: () => Date;
  private readonly lock: FileLockOptions;
  private opened: Promise<void> | undefined;
  private writable: Promise<void> | undefined;

  constructor(readonly folder: string, options: LocalStateStoreOptions = {}) {
    this.layout = new LocalLayout(folder);
    this.now = options.now ?? (() => new Date());
    this.lock = { timeoutMs: options.lockTimeoutMs ?? 45_000, staleMs: options.lockStaleMs ?? 30_000 };
  }

  async putTableConfigs(configs: readonly TableConfig[]): Promise<void> {
    const items = configs.map((config) => TableConfigSchema.parse(config));
    await this.openForWriting();
    // A plain put, as on DynamoDB: the last writer wins, and a config pushed unchanged writes nothing.
    await Promise.all(
      items.map(async (item) => {
        const file = this.layout.tableConfig(item.source, item.table);
        const text = itemText(item);
        if ((await readItemText(file)) !== text) await writeFileAtomic(file, text, this.layout.temp);
      }),
    );
  }

  async getTableConfig(source: string, table: string): Promise<TableConfig | null> {
    await this.open();
    return readItem(this.layout.tableConfig(source, table), TableConfigSchema);
  }

  async listTableConfigs(source: string): Promise<TableConfig[]> {
    await this.open();
    const folder = this.layout.tableConfigs(source);
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const configs = await Promise.all(names.filter((name) => name.endsWith('.json')).map((name) => readItem(join(folder, name), TableConfigSchema)));
    return configs.filter((config): config is TableConfig => config !== null).sort(byTable);
  }

  async getTableState(source: string, table: string): Promise<TableState> {
    await this.open();
    return (await readItem(this.layout.runtime(source, table), TableStateSchema)) ?? emptyTableState(source, table);
  }

  async acquireLease(source: string, table: string, runId: string, now: Date, ttlMs: number): Promise<LeaseResult> {
    RunIdSchema.parse(runId);
    if (!(ttlMs > 0)) throw new StateError(`lease ttl must be a positive number of milliseconds, got ${ttlMs}`, { retryable: false });
    return this.withTable(source, table, async (changes) => {
      const file = this.layout.runtime(source, table);
      const state = (await changes.get(file, TableStateSchema)) ?? emptyTableState(source, table);
      const active = state.activeRun;
      if (active !== null && active.runId !== runId && Date.parse(active.expiresAt) > now.getTime()) {
        return { acquired: false, heldBy: active.runId, since: active.since, expiresAt: active.expiresAt };
      }
      const since = active?.runId === runId ? active.since : now.toISOString();
      const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
      changes.put(file, { ...state, activeRun: { runId, since, expiresAt } });
      return { acquired: true, since, expiresAt };
    });
  }

  async releaseLease(source: string, table: string, runId: string): Promise<boolean> {
    return this.withTable(source, table, async (changes) => {
      const file = this.layout.runtime(source, table);
      const state = await changes.get(file, TableStateSchema);
      if (state?.activeRun?.runId !== runId) return false;
      changes.put(file, { ...state, activeRun: null });
      return true;
    });
  }

  async commitWatermark(source: string, table: string, runId: string, watermark: string | null): Promise<{ committed: boolean }> {
    RunIdSchema.parse(runId);
    return this.withTable(source, table, async (changes) => {
      const runFile = this.layout.run(runId);
      const run = await changes.get(runFile, RunRecordSchema);
      if (run !== null && (run.source !== source || run.table !== table)) {
        throw new StateError(`run ${runId} belongs to ${tableKey(run.source, run.table)}, not ${tableKey(source, table)}`, { retryable: false });
      }
      const stateFile = this.layout.runtime(source, table);
      const state = (await changes.get(stateFile, TableStateSchema)) ?? emptyTableState(source, table);
      if (run?.watermarkCommittedAt !== undefined || (run === null && state.watermarkRunId === runId)) return { committed: false };
      changes.put(stateFile, { ...state, watermark, watermarkRunId: runId });
      if (run !== null) changes.put(runFile, { ...run, watermarkCommittedAt: this.now().toISOString() });
      return { committed: true };
    });
  }

  /** One change of the run and its table's state under the table's lock: a journal and two files, where the three writes were five. */
  async commitLoad(runId: string, commit: LoadCommit): Promise<{ committed: boolean; released: boolean }> {
    const update = RunUpdateSchema.parse(commit.update);
    const step = RunStepSchema.parse(commit.step);
    const fields = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined));
    return this.withRun(runId, async (run, changes, runFile) => {
      const stateFile = this.layout.runtime(run.source, run.table);
      let state = (await changes.get(stateFile, TableStateSchema)) ?? emptyTableState(run.source, run.table);
      let next: RunRecord = { ...run, ...fields, steps: withStep(run.steps, step) };
      const committed = commit.watermark !== undefined && run.watermarkCommittedAt === undefined;
      if (committed) {
        state = { ...state, watermark: commit.watermark?.value ?? null, watermarkRunId: runId };
        next = { ...next, watermarkCommittedAt: this.now().toISOString() };
      }
      const released = commit.releaseLease && state.activeRun?.runId === runId;
      if (released) state = { ...state, activeRun: null };
      changes.put(runFile, next);
      if (committed || released) changes.put(stateFile, state);
      return { committed, released };
    });
  }

  async startRun(run: NewRun, options: StartRunOptions = {}): Promise<RunRecord> {
    const item = NewRunSchema.parse(run);
    return this.withTable(item.source, item.table, (changes) =>
      // The run's own lock too: two tables' starts of one run id must not both create it.
      this.withLock(`run ${item.runId}`, async () => {
        const runFile = this.layout.run(item.runId);
        const existing = await changes.get(runFile, RunRecordSchema);
        if (existing !== null) {
          if (existing.source !== item.source || existing.table !== item.table) {
            throw new StateError(`run ${item.runId} already exists for ${tableKey(existing.source, existing.table)}`, { retryable: false });
          }
          return existing;
        }
        await addRunEntry(this.layout.runOfTable(item.source, item.table, item.requestedAt, item.runId), item.runId);
        if (item.jobRunId !== undefined) await addRunEntry(this.layout.runOfJobRun(item.jobRunId, item.runId), item.runId);
        const record: RunRecord = { ...item, status: 'running', steps: [] };
        changes.put(runFile, record);
        const stateFile = this.layout.runtime(item.source, item.table);
        const state = (await changes.get(stateFile, TableStateSchema)) ?? emptyTableState(item.source, item.table);
        if (options.asLastRun !== false && (state.lastRun === undefined || Date.parse(state.lastRun.requestedAt) <= Date.parse(item.requestedAt))) {
          changes.put(stateFile, { ...state, lastRun: { runId: item.runId, status: 'running', requestedAt: item.requestedAt } });
        }
        // Committed here, inside the run's lock: the next start of this run id must find the file.
        await changes.commit();
        return record;
      }),
    );
  }

  async recordStep(runId: string, step: RunStep): Promise<void> {
    const item = RunStepSchema.parse(step);
    await this.withRun(runId, async (run, changes, runFile) => {
      changes.put(runFile, { ...run, steps: withStep(run.steps, item) });
    });
  }

  async updateRun(runId: string, update: RunUpdate, step?: RunStep): Promise<void> {
    const item = RunUpdateSchema.parse(update);
    const stepItem = step === undefined ? undefined : RunStepSchema.parse(step);
    const fields = Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
    await this.withRun(runId, async (run, changes, runFile) => {
      if (item.jobRunId !== undefined) await addRunEntry(this.layout.runOfJobRun(item.jobRunId, runId), runId);
      changes.put(runFile, { ...run, ...fields, ...(stepItem === undefined ? {} : { steps: withStep(run.steps, stepItem) }) });
    });
  }

  async finishRun(runId: string, status: 'succeeded' | 'failed', error?: RunError, step?: RunStep): Promise<void> {
    const runError = error === undefined ? undefined : RunErrorSchema.parse(error);
    const stepItem = step === undefined ? undefined : RunStepSchema.parse(step);
    await this.withRun(runId, async (runAsRead, changes, runFile) => {
      const run = stepItem === undefined ? runAsRead : { ...runAsRead, steps: withStep(runAsRead.steps, stepItem) };
      if (runAsRead.status === status && runAsRead.finishedAt !== undefined) {
        if (stepItem !== undefined) changes.put(runFile, run);
        return;
      }
      const finished: RunRecord = { ...run, status, finishedAt: this.now().toISOString() };
      if (runError === undefined) delete finished.error;
      else finished.error = runError;
      changes.put(runFile, finished);
      const stateFile = this.layout.runtime(run.source, run.table);
      const state = await changes.get(stateFile, TableStateSchema);
      if (state?.lastRun?.runId === runId) {
        changes.put(stateFile, { ...state, lastRun: { runId, status, requestedAt: run.requestedAt, finishedAt: finished.finishedAt } });
      }
    });
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    await this.open();
    return readItem(this.layout.run(runId), RunRecordSchema);
  }

  /** Reads only the names of the asked table's index, then the runs it returns. */
  async listRuns(query: ListRunsQuery): Promise<RunRecord[]> {
    await this.open();
    const limit = Math.max(0, query.limit);
    const entries = await runEntries(this.layout, query);
    const runs = new Map<string, RunRecord>();
    for (let next = 0; next < entries.length && runs.size < limit; ) {
      const batch = entries.slice(next, next + limit - runs.size);
      next += batch.length;
      const read = await Promise.all(batch.map((entry) => readItem(this.layout.run(entry.runId), RunRecordSchema)));
      read.forEach((run, index) => {
        // An entry whose run was never written (a crash between the two), or is another's, is no run of this listing.
        if (run === null || Date.parse(run.requestedAt) !== Date.parse(batch[index]?.requestedAt ?? '')) return;
        if ((query.source === undefined || run.source === query.source) && (query.table === undefined || run.table === query.table)) runs.set(run.runId, run);
      });
    }
    return [...runs.values()];
  }

  async findRunsByJobRunId(jobRunId: string): Promise<RunRecord[]> {
    await this.open();
    const runs = await Promise.all((await runIdsOfJobRun(this.layout, jobRunId)).map((runId) => this.getRun(runId)));
    return runs
      .filter((run): run is RunRecord => run?.jobRunId === jobRunId)
      .sort((a, b) => Date.parse(a.requestedAt) - Date.parse(b.requestedAt) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  }

  async acquireSourceSlots(source: string, holder: string, want: number, limit: number, now: Date, ttlMs: number): Promise<SlotGrant> {
    const request = { source, holder, want, limit, now, ttlMs };
    checkSlotRequest(request);
    return this.withScope(`source ${source}`, async (changes) => {
      const file = this.layout.sourceSlots(source);
      const { next, grant } = grantSlots(await changes.get(file, SourceSlotsSchema), request);
      if (next !== null) changes.put(file, next);
      return grant;
    });
  }

  async releaseSourceSlots(source: string, holder: string): Promise<void> {
    await this.withScope(`source ${source}`, async (changes) => {
      const file = this.layout.sourceSlots(source);
      const next = releaseSlots(await changes.get(file, SourceSlotsSchema), holder);
      if (next !== null) changes.put(file, next);
    });
  }

  /** Migrate a version-1 state file and clear dead writers' temp files, once per store, before anything is read. */
  private open(): Promise<void> {
    this.opened ??= (async () => {
      await migrateVersion1(this.layout, this.lock);
      await removeDeadWritersTempFiles(this.layout.temp);
    })().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  /** Reading creates nothing; the first write creates the folders locks and temp files need. */
  private openForWriting(): Promise<void> {
    this.writable ??= (async () => {
      await mkdir(this.layout.locks, { recursive: true });
      await mkdir(this.layout.temp, { recursive: true });
      await this.open();
    })().catch((error: unknown) => {
      this.writable = undefined;
      throw error;
    });
    return this.writable;
  }

  private async withLock<T>(scope: string, work: () => Promise<T>): Promise<T> {
    await this.openForWriting();
    return withFileLock(this.layout.lock(scope), this.lock, work);
  }

  /** Lock the scope, finish what a dead writer left in its journal, decide, commit. */
  private async withScope<T>(scope: string, change: (changes: ItemChanges) => Promise<T>): Promise<T> {
    return this.withLock(scope, async () => {
      await replayJournal(this.layout, scope);
      const changes = new ItemChanges(this.layout, scope);
      const result = await change(changes);
      await changes.commit();
      return result;
    });
  }

  /** A table's state and its runs change under the table's lock. */
  private withTable<T>(source: string, table: string, change: (changes: ItemChanges) => Promise<T>): Promise<T> {
    return this.withScope(`table ${tableKey(source, table)}`, change);
  }

  /** Change a run under its table's lock; its table is read first, without the lock: a run never changes table. */
  private async withRun<T>(runId: string, change: (run: RunRecord, changes: ItemChanges, runFile: string) => Promise<T>): Promise<T> {
    const known = await this.getRun(runId);
    if (known === null) throw notStarted(runId);
    return this.withTable(known.source, known.table, async (changes) => {
      const runFile = this.layout.run(runId);
      const run = await changes.get(runFile, RunRecordSchema);
      if (run === null) throw notStarted(runId);
      return change(run, changes, runFile);
    });
  }
}

/** The run's steps with `step` added, or in place of the step of its name. */
function withStep(steps: readonly RunStep[], step: RunStep): RunStep[] {
  const index = steps.findIndex((existing) => existing.name === step.name);
  return index === -1 ? [...steps, step] : steps.map((existing, at) => (at === index ? step : existing));
}
