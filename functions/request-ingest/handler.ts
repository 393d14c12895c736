import { createHash } from 'node:crypto';

import { INGEST_REQUESTED, IngestModeSchema, type IngestMode, type IngestRequested } from '../../events/index.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { RunRecord, StateStore } from '../../state/index.js';
import type { BatchStore, RequestedBatch, RequestedRow } from './batch-store.js';
import { BATCH_ID_HEADER, BadRequest, header, isPoll, parseRows, respond, type ProxyRequest, type ProxyResponse, type RowRequest } from './wire-format.js';

export interface RequestIngestDeps {
  state: StateStore;
  publisher: Publisher;
  batches: BatchStore;
  now?: () => Date;
}

/** One requested table of a row, and, once known, how its run went. */
export interface TableRun {
  table: string;
  runId: string;
  /** Only when the row asked to wait: `requested` until start-ingest has recorded the run. */
  status?: RunRecord['status'] | 'requested';
  rowsExtracted?: number;
  error?: string;
}

export type RowResult = { runs: TableRun[] } | { error: string };

interface ValidRow {
  source: string;
  tables: string[];
  /** Only when the row asked for a mode; otherwise start-ingest takes the table's own. */
  mode: IngestMode | undefined;
  wait: boolean;
}

/** A row that names an unknown table or has bad arguments answers an error; it never fails the batch. */
async function validateRow(state: StateStore, row: RowRequest): Promise<ValidRow | { error: string }> {
  if (typeof row.source !== 'string' || row.source === '') return { error: 'source must be a non-empty string' };
  const source = row.source;
  const allTables = row.tables === null || row.tables === '*';
  if (!allTables && (!Array.isArray(row.tables) || row.tables.length === 0 || !row.tables.every((t): t is string => typeof t === 'string' && t !== ''))) {
    return { error: 'tables must be a non-empty array of table names, or null / "*" for all tables' };
  }
  let mode: IngestMode | undefined;
  let wait = false;
  if (row.options !== null) {
    if (typeof row.options !== 'object' || Array.isArray(row.options)) return { error: 'options must be an object or null, e.g. {"mode": "full", "wait": true}' };
    const options = row.options as Record<string, unknown>;
    const unknownKeys = Object.keys(options).filter((key) => key !== 'mode' && key !== 'wait');
    if (unknownKeys.length > 0) return { error: `unknown option(s) ${unknownKeys.join(', ')}: expected "mode" and "wait"` };
    if (options['mode'] !== undefined && options['mode'] !== null) {
      const parsed = IngestModeSchema.safeParse(options['mode']);
      if (!parsed.success) return { error: `options.mode must be "full" or "incremental", got ${JSON.stringify(options['mode'])}` };
      mode = parsed.data;
    }
    if (options['wait'] !== undefined && options['wait'] !== null) {
      if (typeof options['wait'] !== 'boolean') return { error: 'options.wait must be true or false' };
      wait = options['wait'];
    }
  }
  if (allTables) {
    const configs = await state.listTableConfigs(source);
    if (configs.length === 0) return { error: `source ${source} has no configured tables (unknown source?); nothing was requested for this row` };
    return { source, tables: configs.map((config) => config.table), mode, wait };
  }
  const tables: string[] = [];
  const unknown: string[] = [];
  for (const table of [...new Set(row.tables as string[])]) {
    if (await state.getTableConfig(source, table)) tables.push(table);
    else unknown.push(table);
  }
  if (unknown.length > 0) {
    return { error: `not in the configuration of source ${source} (unknown source or table): ${unknown.join(', ')}; nothing was requested for this row` };
  }
  return { source, tables, mode, wait };
}

/** The same batch, row and table always give the same run id, so a retried call finds its runs. */
export function runIdFor(batchId: string, rowNumber: number, table: string): string {
  const digest = createHash('sha256').update(`${batchId}\n${rowNumber}\n${table}`).digest('hex').slice(0, 24);
  return `sf-${rowNumber}-${digest}`;
}

async function understand(state: StateStore, batchId: string, row: RowRequest): Promise<RequestedRow> {
  const valid = await validateRow(state, row);
  if ('error' in valid) return { rowNumber: row.rowNumber, error: valid.error };
  const runs = valid.tables.map((table) => ({ table, runId: runIdFor(batchId, row.rowNumber, table) }));
  return { rowNumber: row.rowNumber, source: valid.source, wait: valid.wait, runs, ...(valid.mode === undefined ? {} : { mode: valid.mode }) };
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
    for (const { table, runId } of row.runs) {
      if (published.has(runId)) continue;
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
    }
  }
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
    if (!row.wait) {
      data.push([row.rowNumber, { runs: row.runs.map(({ table, runId }) => ({ table, runId })) }]);
      continue;
    }
    const runs: TableRun[] = [];
    for (const { table, runId } of row.runs) {
      const result = outcome(table, runId, await state.getRun(runId));
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
 * not published yet, so nothing twice. A row with `{"wait": true}` makes the answer 202 until each
 * of its runs has finished; Snowflake then polls (GET, same batch id) until it gets 200 with the
 * outcomes.
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
    const understood: RequestedRow[] = [];
    for (const row of rows) understood.push(await understand(deps.state, batchId, row));
    const batch = await deps.batches.record(batchId, understood);
    await publishRequests(deps, batchId, batch, now);
    return answer(deps.state, batch);
  };
}
