import { createHash } from 'node:crypto';

import type { IngestMode } from '../../events/index.js';
import type { StateStore } from '../../state/index.js';
import type { RequestedRow, RequestedRun } from './batch-store.js';
import type { ValidRow } from './validate-row.js';

/**
 * The run of one table in one mode for one Snowflake query. Every row and every batch of the query
 * asking for it gets this id (Snowflake sends the query's batches separately, in parallel), so
 * they share one run: start-ingest starts one job per run id and drops the copies.
 */
export function runIdFor(queryId: string, source: string, table: string, mode: IngestMode | undefined): string {
  const digest = createHash('sha256').update(JSON.stringify([queryId, source, table, mode ?? null])).digest('hex').slice(0, 24);
  return `sf-${digest}`;
}

/** How many distinct runs `rows` ask for: one per table and mode, however many rows ask for it. */
export function countRuns(rows: readonly ValidRow[]): number {
  return new Set(rows.flatMap((row) => row.tables.map((table) => JSON.stringify([row.source, table, row.mode ?? null])))).size;
}

/**
 * The runs of a call, each table's decided once: a table whose lease a live run of another
 * request holds is answered busy and not requested, so it costs no IngestRequested, no
 * IngestFailed and no alarm; a table the call already asked for in another mode is busy with that
 * run. Between this look at the lease and start-ingest taking it another request may still win;
 * start-ingest then refuses the run as TableBusy, one IngestFailed for one real conflict.
 */
export async function planRuns(state: StateStore, queryId: string, rows: readonly (ValidRow | { rowNumber: number; error: string })[], now: Date): Promise<RequestedRow[]> {
  const decided = new Map<string, RequestedRun>();
  const planned: RequestedRow[] = [];
  for (const row of rows) {
    if ('error' in row) {
      planned.push(row);
      continue;
    }
    const runs: RequestedRun[] = [];
    for (const table of row.tables) {
      const runId = runIdFor(queryId, row.source, table, row.mode);
      const key = JSON.stringify([row.source, table]);
      let decision = decided.get(key);
      if (decision === undefined) {
        const holder = (await state.getTableState(row.source, table)).activeRun;
        const busy = holder !== null && holder.runId !== runId && Date.parse(holder.expiresAt) > now.getTime();
        decision = busy ? { table, busy: { heldBy: holder.runId, since: holder.since } } : { table, runId };
        decided.set(key, decision);
      }
      if ('busy' in decision) runs.push({ table, busy: decision.busy });
      else if (decision.runId === runId) runs.push({ table, runId });
      else runs.push({ table, busy: { heldBy: decision.runId, since: now.toISOString() } });
    }
    planned.push({ rowNumber: row.rowNumber, source: row.source, wait: row.wait, runs, ...(row.mode === undefined ? {} : { mode: row.mode }) });
  }
  return planned;
}
