import { printable } from '../config/index.js';
import { describeSchemaChange, type SchemaChange } from '../events/index.js';
import type { RunRecord } from '../state/index.js';

/**
 * What a person should know of a run's watermark beside its result: held behind a transaction
 * still open at the source, or unguarded because floe's role cannot see when such transactions
 * started (README, "Incremental runs and open transactions"). Empty when neither applies.
 */
export function watermarkNotes(run: Pick<RunRecord, 'watermarkHeld' | 'unseenTransactions'> | null | undefined): string[] {
  const notes: string[] = [];
  if (run?.watermarkHeld) notes.push(`watermark held ${Math.round(run.watermarkHeld.seconds)} s behind an open transaction`);
  if (run?.unseenTransactions) notes.push(`open transactions unseen (grant ${run.unseenTransactions.privilege})`);
  return notes;
}

/** Below a table of runs: each run's schema changes, one line per table; nothing when none changed. */
export function printSchemaChanges(runs: readonly { table: string; runId: string | undefined; changes: readonly SchemaChange[] | undefined }[]): void {
  const changed = runs.filter((run) => run.changes !== undefined && run.changes.length > 0);
  if (changed.length === 0) return;
  process.stdout.write('schema changes:\n');
  for (const run of changed) {
    process.stdout.write(`  ${printable(`${run.table} (run ${run.runId ?? '-'}): ${(run.changes ?? []).map(describeSchemaChange).join('; ')}`)}\n`);
  }
}
