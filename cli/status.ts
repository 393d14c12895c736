import { parseArgs } from 'node:util';

import { loadConfig, printableJson, selectTables, type Mode, type SelectedTable } from '../config/index.js';
import type { SchemaChange, WatermarkHeld } from '../events/index.js';
import type { ActiveRun, RunQueued, RunStatus, StateStore } from '../state/index.js';
import { printSchemaChanges, watermarkNotes } from './run-notes.js';
import { openStateStore } from './state-store.js';
import { printTable } from './table-output.js';
import { formatDuration, formatInstant } from './time-format.js';

/** How far back `floe status` looks for the last successful run when the newest run did not succeed. */
const HISTORY_LIMIT = 1000;

/** One configured table as `floe status --json` prints it. Times are ISO instants as stored. */
export interface TableStatus {
  source: string;
  table: string;
  mode: Mode;
  /** The committed watermark, exactly as stored; null before the first commit. */
  watermark: string | null;
  lastRun: {
    runId: string;
    status: RunStatus;
    requestedAt: string;
    finishedAt: string | null;
    rowsExtracted: number | null;
    inserted: number | null;
    updated: number | null;
    /** Values the run set aside under the table's `unrepresentable` policy; present when any. */
    rejects?: number;
    /** Present when the run changed the table's columns (events/schema-change.ts). */
    schemaChanges?: SchemaChange[];
    /** Present when a transaction open at the source held the run's watermark back. */
    watermarkHeld?: WatermarkHeld;
    /** Present when floe's role could not see when the source's open transactions started. */
    unseenTransactions?: { count: number | null; privilege: string };
    /** The job that extracted the run (`python` or `spark`) and why; absent for runs before engines were recorded. */
    extractionEngine?: 'python' | 'spark';
    engineReason?: string;
  } | null;
  /**
   * `running` while a run holds an unexpired lease; `queued` while that run waits for its job run to
   * start (its source's connections, or Glue's concurrent runs, all taken); `lease expired` when the
   * holder stopped renewing it.
   */
  state: 'idle' | 'queued' | 'running' | 'lease expired';
  activeRun: ActiveRun | null;
  /** Why the active run waits, and since when; null unless `state` is `queued`. */
  queued: RunQueued | null;
  lastSucceededAt: string | null;
  /** Seconds since the last successful run finished; null if none did. */
  lagSeconds: number | null;
}

export interface StatusOptions {
  /** Clock for the lag and lease expiry; default the system clock. */
  now?: () => Date;
}

/**
 * Prints each selected table's watermark, last run, lease and lag, from the
 * state store alone: it never connects to a source, and never prints a connection.
 */
export async function statusCommand(argv: string[], options: StatusOptions = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      source: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const selected = selectTables(config, { source: values.source, table: values.table });
  const state = openStateStore(config);
  const now = (options.now ?? (() => new Date()))();
  const statuses: TableStatus[] = [];
  for (const entry of selected) statuses.push(await tableStatus(state, entry, now));
  if (values.json) process.stdout.write(`${printableJson(JSON.stringify(statuses, null, 2))}\n`);
  else printStatuses(statuses);
  return 0;
}

/** The status of one table at `now`. */
export async function tableStatus(state: StateStore, { source, table }: SelectedTable, now: Date): Promise<TableStatus> {
  const tableState = await state.getTableState(source.name, table.name);
  const summary = tableState.lastRun;
  const run = summary === undefined ? null : await state.getRun(summary.runId);
  const lastSucceededAt =
    summary?.status === 'succeeded'
      ? (summary.finishedAt ?? null)
      : ((await state.listRuns({ source: source.name, table: table.name, limit: HISTORY_LIMIT })).find((r) => r.status === 'succeeded')?.finishedAt ?? null);
  const active = tableState.activeRun;
  const activeRecord = active === null ? null : active.runId === run?.runId ? run : await state.getRun(active.runId);
  const leaseState = active === null ? 'idle' : Date.parse(active.expiresAt) > now.getTime() ? 'running' : 'lease expired';
  const queued = leaseState === 'running' ? (activeRecord?.queued ?? null) : null;
  return {
    source: source.name,
    table: table.name,
    mode: table.mode,
    watermark: tableState.watermark,
    lastRun:
      summary === undefined
        ? null
        : {
            runId: summary.runId,
            status: summary.status,
            requestedAt: summary.requestedAt,
            finishedAt: summary.finishedAt ?? null,
            rowsExtracted: run?.rowsExtracted ?? null,
            inserted: run?.inserted ?? null,
            updated: run?.updated ?? null,
            ...(run?.rejects ? { rejects: run.rejects } : {}),
            ...(run?.schemaChanges?.length ? { schemaChanges: run.schemaChanges } : {}),
            ...(run?.watermarkHeld ? { watermarkHeld: run.watermarkHeld } : {}),
            ...(run?.unseenTransactions ? { unseenTransactions: run.unseenTransactions } : {}),
            ...(run?.extractionEngine ? { extractionEngine: run.extractionEngine } : {}),
            ...(run?.engineReason ? { engineReason: run.engineReason } : {}),
          },
    state: queued === null ? leaseState : 'queued',
    activeRun: active,
    queued,
    lastSucceededAt,
    lagSeconds: lastSucceededAt === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(lastSucceededAt)) / 1000)),
  };
}

function stateText(status: TableStatus): string {
  const active = status.activeRun;
  if (active === null) return 'idle';
  if (status.queued !== null) return `queued ${active.runId} since ${formatInstant(status.queued.since)}: ${status.queued.reason}`;
  if (status.state === 'running') return `running ${active.runId} since ${formatInstant(active.since)}`;
  return `lease expired ${formatInstant(active.expiresAt)} (${active.runId})`;
}

const orDash = (value: number | string | null | undefined): string => (value === null || value === undefined ? '-' : String(value));

function printStatuses(statuses: readonly TableStatus[]): void {
  printTable(
    ['table', 'mode', 'watermark', 'last run', 'status', 'finished', 'state', 'rows extracted', 'inserted', 'updated', 'lag'],
    statuses.map((s) => [
      `${s.source}/${s.table}`,
      s.mode,
      orDash(s.watermark),
      s.lastRun ? `${s.lastRun.runId}${s.lastRun.extractionEngine === 'spark' ? ' (spark)' : ''}` : 'never run',
      [s.lastRun?.rejects ? `${s.lastRun.status} with ${s.lastRun.rejects} rejects` : orDash(s.lastRun?.status), ...watermarkNotes(s.lastRun)].join(', '),
      s.lastRun?.finishedAt ? formatInstant(s.lastRun.finishedAt) : '-',
      stateText(s),
      orDash(s.lastRun?.rowsExtracted),
      orDash(s.lastRun?.inserted),
      orDash(s.lastRun?.updated),
      s.lagSeconds === null ? '-' : formatDuration(s.lagSeconds),
    ]),
  );
  printSchemaChanges(statuses.map((s) => ({ table: `${s.source}/${s.table}`, runId: s.lastRun?.runId, changes: s.lastRun?.schemaChanges })));
}
