import { retryPolicy, type RetrySettings } from '../config/retry.js';

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
  primaryKey: readonly string[];
  mode: 'full' | 'incremental';
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

export function extractionJobArguments(table: ExtractionTable, run: ExtractionRun): Record<string, string> {
  const args: Record<string, string> = {
    '--run-id': run.runId,
    '--engine': table.engine,
    '--database': table.source,
    '--connection': table.connection,
    '--table': table.table,
    '--primary-key': table.primaryKey.join(','),
    '--mode': table.mode,
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
  if (table.mode === 'incremental' && !table.incrementalColumn) {
    throw new Error(`table ${table.source}/${table.table}: incremental mode needs an incremental column`);
  }
  // Given in full mode too: the job then reports the largest value it read as the new watermark.
  if (table.incrementalColumn) args['--incremental-column'] = table.incrementalColumn;
  if (table.mode === 'incremental') {
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
