import { FLOE_INGEST_MAX_BATCH_ROWS } from '../../events/index.js';

/**
 * How much one call of FLOE_INGEST may ask for. A call is one batch of rows: Snowflake chooses how
 * many rows a batch holds unless the function was created with `MAX_BATCH_ROWS`, and a query over
 * many rows is sent as many batches. Without a cap, one query over N rows with `'*'` would ask for
 * N × tables runs in a single call, most of them refused as busy.
 *
 * A call over a cap requests nothing and answers every row with an error naming the cap, in the
 * external function's own format (`{"data": [[row, {"error": …}], …]}`, status 200): Snowflake
 * needs one result per row, and a row's error is how FLOE_INGEST already reports what it refused.
 * @see https://docs.snowflake.com/en/sql-reference/external-functions-data-format
 * @see https://docs.snowflake.com/en/sql-reference/sql/create-external-function (MAX_BATCH_ROWS)
 * @see https://docs.snowflake.com/en/sql-reference/external-functions-best-practices (batch size varies)
 */

/**
 * Rows per call. Checked before anything is read, so a huge batch costs no state reads. Create
 * FLOE_INGEST with `MAX_BATCH_ROWS = 100` so that Snowflake never sends more.
 */
export const MAX_ROWS_PER_CALL = FLOE_INGEST_MAX_BATCH_ROWS;

/**
 * Distinct runs per call (tables × rows, after `'*'` is expanded and rows asking for the same
 * table share its run). Each run is one IngestRequested, one start-ingest and one Glue job run;
 * 100 of them publish well inside request-ingest's 25 s and API Gateway's 29 s, and are already
 * ten times what the extraction job runs at once.
 */
export const MAX_RUNS_PER_CALL = 100;

/** Why a call of `rows` rows is refused, or null when it is within {@link MAX_ROWS_PER_CALL}. */
export function rowsOverCap(rows: number): string | null {
  if (rows <= MAX_ROWS_PER_CALL) return null;
  return `this call of FLOE_INGEST holds ${rows} rows and floe takes at most ${MAX_ROWS_PER_CALL} per call ` +
    `(MAX_ROWS_PER_CALL), so nothing was requested: create the function with MAX_BATCH_ROWS = ${MAX_ROWS_PER_CALL}, ` +
    'or call it over fewer rows';
}

/** Why a call asking for `runs` runs is refused, or null when it is within {@link MAX_RUNS_PER_CALL}. */
export function runsOverCap(runs: number): string | null {
  if (runs <= MAX_RUNS_PER_CALL) return null;
  return `this call of FLOE_INGEST asks for ${runs} table runs and floe starts at most ${MAX_RUNS_PER_CALL} per call ` +
    `(MAX_RUNS_PER_CALL), so nothing was requested: ask for fewer tables per call, ` +
    "e.g. one row per source with '*' rather than the same tables on many rows";
}
