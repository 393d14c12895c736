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
