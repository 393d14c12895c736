import { createHash } from 'node:crypto';

import { INGEST_REQUESTED, IngestModeSchema, type IngestMode, type IngestRequested } from '../../events/index.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { RunRecord, StateStore } from '../../state/index.js';

/** The header Snowflake sets on every call of one batch, retries included. */
export const BATCH_ID_HEADER = 'sf-external-function-query-batch-id';

/** What API Gateway's proxy integration hands the function (only the fields used here). */
export interface ProxyRequest {
  headers?: Readonly<Record<string, string | undefined>> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface ProxyResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface RequestIngestDeps {
  state: StateStore;
  publisher: Publisher;
  now?: () => Date;
}

/** One requested table of a row, and, once known, how its run went. */
export interface TableRun {
  table: string;
  runId: string;
  /** Only when the row asked to wait. */
  status?: RunRecord['status'];
  rowsExtracted?: number;
  error?: string;
}

export type RowResult = { runs: TableRun[] } | { error: string };

interface RowRequest {
  rowNumber: number;
  source: unknown;
  tables: unknown;
  options: unknown;
}

class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

function respond(statusCode: number, body: object): ProxyResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function header(request: ProxyRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** `{"data": [[rowNumber, source, tables, options], …]}`; anything else is a 400. */
function parseBody(request: ProxyRequest): RowRequest[] {
  if (request.body === undefined || request.body === null || request.body === '') {
    throw new BadRequest('empty body: expected {"data": [[rowNumber, source, tables, options], ...]}');
  }
  const text = request.isBase64Encoded ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('body is not valid JSON: expected {"data": [[rowNumber, source, tables, options], ...]}');
  }
  const data = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new BadRequest('body must be {"data": [[rowNumber, source, tables, options], ...]}: "data" is missing or not an array');
  const seen = new Set<number>();
  return data.map((row: unknown, index) => {
    if (!Array.isArray(row)) throw new BadRequest(`data[${index}] must be an array [rowNumber, source, tables, options]`);
    const [rowNumber, source = null, tables = null, options = null] = row as unknown[];
    if (typeof rowNumber !== 'number' || !Number.isInteger(rowNumber) || rowNumber < 0) {
      throw new BadRequest(`data[${index}][0] must be the row number (a non-negative integer)`);
    }
    if (seen.has(rowNumber)) throw new BadRequest(`data[${index}]: row number ${rowNumber} appears twice`);
    seen.add(rowNumber);
    return { rowNumber, source, tables, options };
  });
}

interface ValidRow {
  source: string;
  tables: { table: string; mode: IngestMode }[];
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
    return { source, tables: configs.map((config) => ({ table: config.table, mode: mode ?? config.mode })), mode, wait };
  }
  const tables: { table: string; mode: IngestMode }[] = [];
  const unknown: string[] = [];
  for (const table of [...new Set(row.tables as string[])]) {
    const config = await state.getTableConfig(source, table);
    if (config) tables.push({ table, mode: mode ?? config.mode });
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

function outcome(table: string, runId: string, run: RunRecord): TableRun {
  const result: TableRun = { table, runId, status: run.status };
  if (run.rowsExtracted !== undefined) result.rowsExtracted = run.rowsExtracted;
  if (run.error) result.error = `${run.error.name}: ${run.error.message}`;
  return result;
}

/** The run-history step that says this run's IngestRequested was published. */
export const REQUESTED_STEP = 'request-ingest';

interface TableRequest {
  runId: string;
  source: string;
  table: string;
  mode: IngestMode;
  requestedMode: IngestMode | undefined;
  batchId: string;
  rowNumber: number;
  now: () => Date;
}

/**
 * Records the run, publishes its IngestRequested, then marks it requested. A retried call finds the
 * mark and publishes nothing; one that died between publishing and marking publishes again, which
 * start-ingest drops (it starts one job per run id).
 */
async function requestRun(deps: RequestIngestDeps, request: TableRequest): Promise<RunRecord> {
  const { runId, source, table, mode, batchId, rowNumber, now } = request;
  const requestedAt = now().toISOString();
  const run = await deps.state.startRun({ runId, source, table, mode, requestedAt });
  const detail: IngestRequested = {
    runId,
    source,
    table,
    publishedAt: requestedAt,
    requestedBy: `snowflake:${batchId}`,
    requestId: `${batchId}:${rowNumber}:${table}`,
  };
  if (request.requestedMode !== undefined) detail.mode = request.requestedMode;
  await deps.publisher.publish(INGEST_REQUESTED, detail);
  await deps.state.recordStep(runId, { name: REQUESTED_STEP, startedAt: requestedAt, finishedAt: now().toISOString() });
  return run;
}

/**
 * Snowflake external function → one IngestRequested per requested table.
 *
 * Answers `{"data": [[rowNumber, result], …]}` in the rows' order. The batch id header makes
 * the run ids deterministic: a retried call (same batch id) finds the runs this handler recorded
 * and publishes nothing for them. A row with `{"wait": true}` keeps the call at 202 (Snowflake
 * polls the same request) until each of its runs finished, then answers 200 with the outcomes.
 */
export function createRequestIngest(deps: RequestIngestDeps): (request: ProxyRequest) => Promise<ProxyResponse> {
  const now = deps.now ?? (() => new Date());
  return async (request) => {
    const batchId = header(request, BATCH_ID_HEADER);
    let rows: RowRequest[];
    try {
      if (batchId === undefined) throw new BadRequest(`header ${BATCH_ID_HEADER} is missing: floe needs it to make retried calls idempotent`);
      rows = parseBody(request);
    } catch (error) {
      if (error instanceof BadRequest) return respond(400, { error: error.message });
      throw error;
    }

    let pending = false;
    const data: [number, RowResult][] = [];
    for (const row of rows) {
      const valid = await validateRow(deps.state, row);
      if ('error' in valid) {
        data.push([row.rowNumber, { error: valid.error }]);
        continue;
      }
      const runs: TableRun[] = [];
      for (const { table, mode } of valid.tables) {
        const runId = runIdFor(batchId, row.rowNumber, table);
        let run = await deps.state.getRun(runId);
        if (run === null || !run.steps.some((step) => step.name === REQUESTED_STEP)) {
          run = await requestRun(deps, { runId, source: valid.source, table, mode, requestedMode: valid.mode, batchId, rowNumber: row.rowNumber, now });
        }
        if (valid.wait) {
          const result = outcome(table, runId, run);
          if (result.status === 'running') pending = true;
          runs.push(result);
        } else {
          runs.push({ table, runId });
        }
      }
      data.push([row.rowNumber, { runs }]);
    }
    return respond(pending ? 202 : 200, { data });
  };
}
