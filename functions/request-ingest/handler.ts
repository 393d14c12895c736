import { INGEST_REQUESTED, type IngestRequested } from '../../events/index.js';
import type { Publisher } from '../../pipeline/index.js';
import type { RunRecord, StateStore } from '../../state/index.js';
import type { BatchStore, RequestedBatch, RequestedRow, RequestedRun } from './batch-store.js';
import { rowsOverCap, runsOverCap } from './limits.js';
import { countRuns, planRuns } from './plan.js';
import { configLookups, namedTables, validateRow, type ValidRow } from './validate-row.js';
import { BATCH_ID_HEADER, BadRequest, QUERY_ID_HEADER, header, isPoll, parseRows, respond, type ProxyRequest, type ProxyResponse, type RowRequest } from './wire-format.js';

export interface RequestIngestDeps {
  state: StateStore;
  publisher: Publisher;
  batches: BatchStore;
  now?: () => Date;
}

/** One requested table of a row, and, once known, how its run went. */
export interface TableRun {
  table: string;
  /** Absent for a busy table: nothing was requested for it. */
  runId?: string;
  /**
   * Only when the row asked to wait, or the table was busy: `requested` until start-ingest has
   * recorded the run; `busy` when another run held the table and nothing was requested.
   */
  status?: RunRecord['status'] | 'requested' | 'busy';
  /** The run that held a busy table, and since when. */
  heldBy?: string;
  since?: string;
  rowsExtracted?: number;
  error?: string;
}

export type RowResult = { runs: TableRun[] } | { error: string };

/** Every row answers `error`: nothing of the call is requested. */
function refuseAll(rows: readonly RowRequest[], error: string): RequestedRow[] {
  return rows.map((row) => ({ rowNumber: row.rowNumber, error }));
}

/**
 * What a call asks for, decided once: the caps first (rows before anything is read, then the
 * tables the rows name, then the runs once `'*'` is expanded), then each row's validity, then each
 * table's run or busy holder (plan.ts).
 */
async function understand(state: StateStore, queryId: string, rows: readonly RowRequest[], now: Date): Promise<RequestedRow[]> {
  const named = new Set(rows.flatMap((row) => namedTables(row).map((table) => JSON.stringify([row.source, table]))));
  const refusal = rowsOverCap(rows.length) ?? runsOverCap(named.size);
  if (refusal !== null) return refuseAll(rows, refusal);
  const lookups = configLookups(state);
  const checked: (ValidRow | { rowNumber: number; error: string })[] = [];
  for (const row of rows) {
    const valid = await validateRow(lookups, row);
    checked.push('error' in valid ? { rowNumber: row.rowNumber, error: valid.error } : valid);
  }
  const runsRefusal = runsOverCap(countRuns(checked.filter((row): row is ValidRow => !('error' in row))));
  if (runsRefusal !== null) return refuseAll(rows, runsRefusal);
  return planRuns(state, queryId, checked, now);
}

/**
 * Publishes the IngestRequested of every run of the batch not published yet, marking each after
 * it is sent. A call that dies between the two publishes that run again on the retry; start-ingest
 * starts one job per run id, so the extra event changes nothing.
 */
async function publishRequests(deps: RequestIngestDeps, batchId: string, batch: RequestedBatch, now: () => Date): Promise<void> {
  const published = new Set(batch.published);
  for (const row of batch.rows) {
    if ('error' in row) continue;
    for (const run of row.runs) {
      if ('busy' in run || published.has(run.runId)) continue;
      const { table, runId } = run;
      const detail: IngestRequested = {
        runId,
        source: row.source,
        table,
        publishedAt: now().toISOString(),
        requestedBy: `snowflake:${batchId}`,
        requestId: `${batchId}:${row.rowNumber}:${table}`,
        ...(row.mode === undefined ? {} : { mode: row.mode }),
      };
      await deps.publisher.publish(INGEST_REQUESTED, detail);
      await deps.batches.markPublished(batchId, runId);
      published.add(runId);
    }
  }
}

function busyOutcome({ table, busy }: Extract<RequestedRun, { busy: unknown }>): TableRun {
  return {
    table, status: 'busy', heldBy: busy.heldBy, since: busy.since,
    error: `table busy: run ${busy.heldBy} has held it since ${busy.since}; nothing was requested for this table, ask again once that run has ended`,
  };
}

function outcome(table: string, runId: string, run: RunRecord | null): TableRun {
  if (run === null) return { table, runId, status: 'requested' };
  const result: TableRun = { table, runId, status: run.status };
  if (run.rowsExtracted !== undefined) result.rowsExtracted = run.rowsExtracted;
  if (run.error) result.error = `${run.error.name}: ${run.error.message}`;
  return result;
}

/** The answer to a batch: 202 while a row that waits has a run not finished, else 200 with the outcomes. */
async function answer(state: StateStore, batch: RequestedBatch): Promise<ProxyResponse> {
  let pending = false;
  const data: [number, RowResult][] = [];
  for (const row of batch.rows) {
    if ('error' in row) {
      data.push([row.rowNumber, { error: row.error }]);
      continue;
    }
    const runs: TableRun[] = [];
    for (const run of row.runs) {
      if ('busy' in run) {
        runs.push(busyOutcome(run));
        continue;
      }
      if (!row.wait) {
        runs.push({ table: run.table, runId: run.runId });
        continue;
      }
      const result = outcome(run.table, run.runId, await state.getRun(run.runId));
      if (result.status === 'running' || result.status === 'requested') pending = true;
      runs.push(result);
    }
    data.push([row.rowNumber, { runs }]);
  }
  return respond(pending ? 202 : 200, { data });
}

/**
 * Snowflake external function → one IngestRequested per requested table.
 *
 * Answers `{"data": [[rowNumber, result], …]}` in the rows' order. The batch is recorded under its
 * batch id the first time: a retried call answers from that record and publishes only what was
 * not published yet, so nothing twice. Rows of one query asking for the same table share one run;
 * a table another run holds is answered busy and not requested; a call over a cap (limits.ts)
 * requests nothing and every row answers why. A row with `{"wait": true}` makes the answer 202
 * until each of its runs has finished; Snowflake then polls (GET, same batch id) until it gets
 * 200 with the outcomes.
 */
export function createRequestIngest(deps: RequestIngestDeps): (request: ProxyRequest) => Promise<ProxyResponse> {
  const now = deps.now ?? (() => new Date());
  return async (request) => {
    const batchId = header(request, BATCH_ID_HEADER);
    if (batchId === undefined) {
      return respond(400, { error: `header ${BATCH_ID_HEADER} is missing: floe needs it to make retried calls idempotent` });
    }
    if (isPoll(request)) {
      const batch = await deps.batches.get(batchId);
      if (batch === null) return respond(404, { error: `batch ${batchId} is unknown (never requested, or older than 7 days); call FLOE_INGEST again` });
      return answer(deps.state, batch);
    }
    let rows: RowRequest[];
    try {
      rows = parseRows(request);
    } catch (error) {
      if (error instanceof BadRequest) return respond(400, { error: error.message });
      throw error;
    }
    // Snowflake sends the query id with every batch; a call without one is its own query.
    const queryId = header(request, QUERY_ID_HEADER) ?? batchId;
    const batch = (await deps.batches.get(batchId)) ?? (await deps.batches.record(batchId, await understand(deps.state, queryId, rows, now())));
    await publishRequests(deps, batchId, batch, now);
    return answer(deps.state, batch);
  };
}
