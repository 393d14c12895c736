import { succeededStep, type RunRecord, type StateStore } from '../state/index.js';

/**
 * Whether gold lags staging: an earlier run changed staging and no gold build followed (it was
 * killed in between). Without this, a run that brings nothing would leave gold stale until the
 * source changes again.
 */
export function goldIsBehind(runsNewestFirst: readonly RunRecord[], detectsDeletes: boolean): boolean {
  for (const run of runsNewestFirst) {
    const gold = succeededStep(run, 'build-gold');
    if (gold && gold.details?.skipped !== true) return false;
    const merge = succeededStep(run, 'load-and-merge');
    // A run killed after committing its watermark merged, though it never recorded the step. With
    // delete detection, a run killed anywhere after its raw landed may have marked or removed rows
    // that the next run, finding them already gone, does not count again.
    const changedStaging = merge
      ? merge.details?.noChange !== true
      : (run.watermarkCommittedAt !== undefined && run.rowsExtracted !== 0) || (detectsDeletes && run.manifestUrl !== undefined);
    if (changedStaging && !gold) return true;
  }
  return false;
}

/**
 * Ends earlier runs that merged, released the table, and never ended (killed before or during
 * gold): one whose gold was built succeeded; the others failed, their gold built by this run.
 * Were one still building gold, its own end would replace this (a later finish wins).
 */
export async function endRunsLeftOpen(state: StateStore, earlierRuns: readonly RunRecord[], runId: string): Promise<void> {
  for (const run of earlierRuns) {
    if (run.status !== 'running' || !succeededStep(run, 'load-and-merge')) continue;
    if (succeededStep(run, 'build-gold')) await state.finishRun(run.runId, 'succeeded');
    else {
      await state.finishRun(run.runId, 'failed', {
        name: 'Abandoned',
        message: `stopped after merging into staging and before its gold build ended; run ${runId} brings gold up to date`,
        retryable: false,
      });
    }
  }
}
