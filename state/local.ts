import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TableConfigSchema, type TableConfig } from '../config/table-config.js';
import { tableKey } from '../config/tables.js';
import { removeLeftoverTempFiles, writeFileAtomic } from './atomic-file.js';
import { StateError } from './errors.js';
import { withFileLock } from './file-lock.js';
import {
  NewRunSchema,
  RunErrorSchema,
  RunIdSchema,
  RunRecordSchema,
  RunStepSchema,
  RunUpdateSchema,
  TableStateSchema,
  type LeaseResult,
  type NewRun,
  type RunError,
  type RunRecord,
  type RunStep,
  type RunUpdate,
  type TableState,
} from './items.js';
import type { ListRunsQuery, StartRunOptions, StateStore } from './store.js';

/** The whole local state: the same items DynamoDB will hold, keyed the same way. */
const StateDocumentSchema = z.object({
  version: z.literal(1),
  tableConfigs: z.record(z.string(), TableConfigSchema),
  tables: z.record(z.string(), TableStateSchema),
  runs: z.record(z.string(), RunRecordSchema),
});
type StateDocument = z.infer<typeof StateDocumentSchema>;

export interface LocalStateStoreOptions {
  /** Clock for `finishedAt` and commit times; default the system clock. */
  now?: () => Date;
  /** How long to wait for another process's lock (default 45 s, past the 30 s staleness). */
  lockTimeoutMs?: number;
  /** A lock older than this whose process is dead is broken (default 30 s). */
  lockStaleMs?: number;
}

const emptyDocument = (): StateDocument => ({ version: 1, tableConfigs: {}, tables: {}, runs: {} });
const emptyTableState = (source: string, table: string): TableState => ({ source, table, watermark: null, watermarkRunId: null, activeRun: null });

/**
 * {@link StateStore} in one JSON document, `FOLDER/state.json`.
 *
 * Every mutation takes an exclusive lock file, reads, applies, and replaces the
 * document atomically (temp file, fsync, rename, fsync of the folder), so a
 * crash never leaves a torn `state.json` and conditional writes (the lease) hold
 * across processes. Reads take no lock: they always see a whole document.
 */
export class LocalStateStore implements StateStore {
  readonly file: string;
  private readonly lockFile: string;
  private readonly now: () => Date;
  private readonly lockTimeoutMs: number;
  private readonly lockStaleMs: number;

  constructor(readonly folder: string, options: LocalStateStoreOptions = {}) {
    this.file = join(folder, 'state.json');
    this.lockFile = join(folder, 'state.json.lock');
    this.now = options.now ?? (() => new Date());
    this.lockTimeoutMs = options.lockTimeoutMs ?? 45_000;
    this.lockStaleMs = options.lockStaleMs ?? 30_000;
  }

  async putTableConfigs(configs: readonly TableConfig[]): Promise<void> {
    const items = configs.map((config) => TableConfigSchema.parse(config));
    await this.mutate((doc) => {
      for (const item of items) doc.tableConfigs[tableKey(item.source, item.table)] = item;
    });
  }

  async getTableConfig(source: string, table: string): Promise<TableConfig | null> {
    return (await this.read()).tableConfigs[tableKey(source, table)] ?? null;
  }

  async listTableConfigs(source: string): Promise<TableConfig[]> {
    const configs = Object.values((await this.read()).tableConfigs).filter((config) => config.source === source);
    return configs.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  }

  async getTableState(source: string, table: string): Promise<TableState> {
    return (await this.read()).tables[tableKey(source, table)] ?? emptyTableState(source, table);
  }

  async acquireLease(source: string, table: string, runId: string, now: Date, ttlMs: number): Promise<LeaseResult> {
    RunIdSchema.parse(runId);
    if (!(ttlMs > 0)) throw new StateError(`lease ttl must be a positive number of milliseconds, got ${ttlMs}`, { retryable: false });
    return this.mutate((doc) => {
      const state = tableStateIn(doc, source, table);
      const active = state.activeRun;
      if (active !== null && active.runId !== runId && Date.parse(active.expiresAt) > now.getTime()) {
        return { acquired: false, heldBy: active.runId, since: active.since, expiresAt: active.expiresAt };
      }
      const since = active?.runId === runId ? active.since : now.toISOString();
      const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
      state.activeRun = { runId, since, expiresAt };
      return { acquired: true, since, expiresAt };
    });
  }

  async releaseLease(source: string, table: string, runId: string): Promise<boolean> {
    return this.mutate((doc) => {
      const state = doc.tables[tableKey(source, table)];
      if (state?.activeRun?.runId !== runId) return false;
      state.activeRun = null;
      return true;
    });
  }

  async commitWatermark(source: string, table: string, runId: string, watermark: string | null): Promise<{ committed: boolean }> {
    RunIdSchema.parse(runId);
    return this.mutate((doc) => {
      const run = doc.runs[runId];
      if (run !== undefined && (run.source !== source || run.table !== table)) {
        throw new StateError(`run ${runId} belongs to ${tableKey(run.source, run.table)}, not ${tableKey(source, table)}`, { retryable: false });
      }
      const state = tableStateIn(doc, source, table);
      if (run?.watermarkCommittedAt !== undefined || (run === undefined && state.watermarkRunId === runId)) return { committed: false };
      state.watermark = watermark;
      state.watermarkRunId = runId;
      if (run !== undefined) run.watermarkCommittedAt = this.now().toISOString();
      return { committed: true };
    });
  }

  async startRun(run: NewRun, options: StartRunOptions = {}): Promise<RunRecord> {
    const item = NewRunSchema.parse(run);
    return this.mutate((doc) => {
      const existing = doc.runs[item.runId];
      if (existing !== undefined) {
        if (existing.source !== item.source || existing.table !== item.table) {
          throw new StateError(`run ${item.runId} already exists for ${tableKey(existing.source, existing.table)}`, { retryable: false });
        }
        return existing;
      }
      const record: RunRecord = { ...item, status: 'running', steps: [] };
      doc.runs[item.runId] = record;
      const state = tableStateIn(doc, item.source, item.table);
      if (options.asLastRun !== false && (state.lastRun === undefined || Date.parse(state.lastRun.requestedAt) <= Date.parse(item.requestedAt))) {
        state.lastRun = { runId: item.runId, status: 'running', requestedAt: item.requestedAt };
      }
      return record;
    });
  }

  async recordStep(runId: string, step: RunStep): Promise<void> {
    const item = RunStepSchema.parse(step);
    await this.mutate((doc) => {
      const run = runIn(doc, runId);
      const index = run.steps.findIndex((existing) => existing.name === item.name);
      if (index === -1) run.steps.push(item);
      else run.steps[index] = item;
    });
  }

  async updateRun(runId: string, update: RunUpdate): Promise<void> {
    const item = RunUpdateSchema.parse(update);
    await this.mutate((doc) => {
      Object.assign(runIn(doc, runId), item);
    });
  }

  async finishRun(runId: string, status: 'succeeded' | 'failed', error?: RunError): Promise<void> {
    const runError = error === undefined ? undefined : RunErrorSchema.parse(error);
    await this.mutate((doc) => {
      const run = runIn(doc, runId);
      if (run.status === status && run.finishedAt !== undefined) return;
      run.status = status;
      run.finishedAt = this.now().toISOString();
      if (runError === undefined) delete run.error;
      else run.error = runError;
      const state = doc.tables[tableKey(run.source, run.table)];
      if (state?.lastRun?.runId === runId) state.lastRun = { runId, status, requestedAt: run.requestedAt, finishedAt: run.finishedAt };
    });
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    return (await this.read()).runs[runId] ?? null;
  }

  async listRuns(query: ListRunsQuery): Promise<RunRecord[]> {
    const runs = Object.values((await this.read()).runs).filter(
      (run) => (query.source === undefined || run.source === query.source) && (query.table === undefined || run.table === query.table),
    );
    runs.sort((a, b) => (a.requestedAt === b.requestedAt ? b.runId.localeCompare(a.runId) : Date.parse(b.requestedAt) - Date.parse(a.requestedAt)));
    return runs.slice(0, Math.max(0, query.limit));
  }

  async findRunByJobRunId(jobRunId: string): Promise<RunRecord | null> {
    return Object.values((await this.read()).runs).find((run) => run.jobRunId === jobRunId) ?? null;
  }

  /** The current document; a missing file is an empty state. */
  private async read(): Promise<StateDocument> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument();
      throw new StateError(`cannot read ${this.file}`, { retryable: true, cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new StateError(`${this.file} is not valid JSON; floe never writes it in place, so restore it from a backup or delete it to start over`, {
        retryable: false,
        cause: error,
      });
    }
    const parsed = StateDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StateError(`${this.file} is not a floe state file (${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'})`, {
        retryable: false,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** Lock, read, apply `change`, write atomically if anything changed, unlock. */
  private async mutate<T>(change: (doc: StateDocument) => T): Promise<T> {
    await mkdir(this.folder, { recursive: true });
    return withFileLock(this.lockFile, { timeoutMs: this.lockTimeoutMs, staleMs: this.lockStaleMs }, async () => {
      await removeLeftoverTempFiles(this.file);
      const doc = await this.read();
      const before = JSON.stringify(doc);
      const result = change(doc);
      const after = JSON.stringify(doc, null, 2);
      if (JSON.stringify(doc) !== before) await writeFileAtomic(this.file, `${after}\n`);
      return result;
    });
  }
}

function tableStateIn(doc: StateDocument, source: string, table: string): TableState {
  const key = tableKey(source, table);
  const state = doc.tables[key] ?? emptyTableState(source, table);
  doc.tables[key] = state;
  return state;
}

function runIn(doc: StateDocument, runId: string): RunRecord {
  const run = doc.runs[runId];
  if (run === undefined) throw new StateError(`run ${runId} is not in the state store; start it with startRun first`, { retryable: false });
  return run;
}
