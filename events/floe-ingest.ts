/**
 * The most rows one call of Snowflake's `FLOE_INGEST` external function carries: the function is
 * created with `MAX_BATCH_ROWS` set to this (warehouse/snowflake-ddl.ts), and request-ingest refuses
 * a larger call (functions/request-ingest/limits.ts). Both sides read it here, so they cannot drift.
 * @see https://docs.snowflake.com/en/sql-reference/sql/create-external-function (MAX_BATCH_ROWS)
 */
export const FLOE_INGEST_MAX_BATCH_ROWS = 100;
