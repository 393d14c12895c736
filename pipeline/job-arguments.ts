import { retryPolicy, type RetrySettings } from '../config/retry.js';
import type { Mode } from '../config/schema.js';

/**
 * The extraction job's arguments for one run, named exactly as `glue/README.md` documents them:
 * the same map goes to Glue's StartJobRun on AWS and to the child process locally.
 */

export interface ExtractionTable {
  source: string;
  engine: 'postgres' | 'mysql';
  /** A URL, or `secretsmanager:<id>`: on AWS only the latter, since job arguments are visible in the console. */
  connection: string;
  table: string;
  /** Empty for a table without a key. */
  primaryKey: readonly string[];
  /** The table's mode; the job knows `full` and `incremental` only (see {@link extractionMode}). */
  mode: Mode;
  incrementalColumn?: string | undefined;
  partitionColumn?: string | undefined;
  partitions?: number | undefined;
  lookbackSeconds?: number | undefined;
  /** The table's retry settings; unset keys take floe's defaults (3 attempts, 5 s doubling, 60 s cap). */
  retry?: RetrySettings | undefined;
  unrepresentable?: 'quarantine' | 'fail' | 'coerce' | undefined;
  unrepresentableColumns?: Readonly<Record<string, 'quarantine' | 'fail' | 'coerce'>> | undefined;
}

export interface ExtractionRun {
  runId: string;
  rawRoot: string;
  /** Fixes the raw folder's date and hour, so a retried run overwrites its own files. */
  runTime: Date;
  /** The committed watermark; ignored in full mode. */
  watermark: string | null;
  /** A repair run's primary keys (IngestRequested `keys`): the job reads only those; full mode only. */
  keys?: readonly (readonly string[])[] | undefined;
}

/**
 * What the job reads in a table's mode: `append` reads the rows past the watermark, as
 * `incremental` does; only what load-and-merge does with them differs (it merges nothing).
 */
export function extractionMode(mode: Mode): 'full' | 'incremental' {
  return mode === 'full' ? 'full' : 'incremental';
}

export function extractionJobArguments(table: ExtractionTable, run: ExtractionRun): Record<string, string> {
  const args: Record<string, string> = {
    '--run-id': run.runId,
    '--engine': table.engine,
    '--database': table.source,
    '--connection': table.connection,
    '--table': table.table,
    '--primary-key': table.primaryKey.join(','),
    '--mode': extractionMode(table.mode),
    '--raw-root': run.rawRoot,
    '--run-time': run.runTime.toISOString(),
  };
  // Always explicit, so Glue and the local runner retry alike whatever the job's own defaults are.
  const retry = retryPolicy(table.retry);
  args['--retry-attempts'] = String(retry.attempts);
  args['--retry-backoff-seconds'] = String(retry.backoffSeconds);
  args['--retry-max-backoff-seconds'] = String(retry.maxBackoffSeconds);
  // Always explicit too: run by hand, the job fails on such a value; floe's default sets it aside.
  args['--unrepresentable'] = table.unrepresentable ?? 'quarantine';
  if (table.unrepresentableColumns && Object.keys(table.unrepresentableColumns).length > 0) {
    args['--unrepresentable-columns'] = JSON.stringify(table.unrepresentableColumns);
  }
  if (table.mode !== 'full' && !table.incrementalColumn) {
    throw new Error(`table ${table.source}/${table.table}: ${table.mode} mode needs an incremental column`);
  }
  // Given in full mode too: the job then reports the largest value it read as the new watermark.
  if (table.incrementalColumn) args['--incremental-column'] = table.incrementalColumn;
  if (table.mode !== 'full') {
    if (run.watermark !== null) args['--watermark'] = run.watermark;
    if (table.lookbackSeconds) args['--lookback-seconds'] = String(table.lookbackSeconds);
  }
  if (run.keys !== undefined) {
    if (table.mode !== 'full') throw new Error(`table ${table.source}/${table.table}: a repair run's keys are read in full mode only`);
    args['--keys'] = JSON.stringify(run.keys);
  }
  if (table.partitionColumn && (table.partitions ?? 1) > 1) {
    args['--partition-column'] = table.partitionColumn;
    args['--partitions'] = String(table.partitions);
  }
  return args;
}

/** The arguments a job run of several tables is given once, on its command line; each table's own go in the batch file. */
export const SHARED_JOB_ARGUMENTS: readonly string[] = ['--engine', '--database', '--connection', '--raw-root'];

/**
 * The arguments of one job run extracting several tables of one source (glue/floe_extract/batch.py):
 * what they share, the batch file's location, and the most source connections the job may hold.
 * `tables` are each table's {@link extractionJobArguments}; they must agree on what they share.
 */
export function batchJobArguments(tables: readonly Record<string, string>[], batchUrl: string, maxConnections: number): Record<string, string> {
  const [first] = tables;
  if (first === undefined) throw new Error('a job batch needs at least one table');
  const shared = Object.fromEntries(SHARED_JOB_ARGUMENTS.map((name) => [name, first[name] ?? '']));
  for (const table of tables) {
    const differs = SHARED_JOB_ARGUMENTS.find((name) => table[name] !== shared[name]);
    if (differs !== undefined) throw new Error(`tables ${first['--table']} and ${table['--table']} differ in ${differs}: one job run reads one source`);
  }
  return { ...shared, '--batch': batchUrl, '--max-connections': String(maxConnections) };
}
