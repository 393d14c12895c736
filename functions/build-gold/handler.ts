import { GOLD_BUILT, STAGE_MERGED, type FloeEvent, type GoldBuilt } from '../../events/index.js';
import { faultPoint } from '../../fault/fault-point.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { StateStore } from '../../state/index.js';
import { rawTableFor, stagingTableFor } from '../../warehouse/naming.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { onStageMerged } from '../expected-run.js';
import { failRun } from '../publish-failure.js';
import { refuseEvent } from '../refuse-event.js';

export interface BuildGoldDeps {
  state: StateStore;
  publisher: Publisher;
  warehouse: Warehouse;
  goldDir: string;
}

/**
 * StageMerged → rebuilds the gold models that read the merged staging table (directly or through
 * other models), publishes GoldBuilt, and ends the run. Nothing changed (and gold not behind), nothing is rebuilt.
 * A model that fails is reported by file name and fails the run; models not depending on it still build.
 * A StageMerged of a run that is unknown, of another table, or never merged is refused
 * (EventRefused): nothing is built and the run is not ended (expected-run.ts).
 */
export function createBuildGold(deps: BuildGoldDeps): (event: FloeEvent) => Promise<void> {
  return async (event) => {
    if (event['detail-type'] !== STAGE_MERGED) return;
    const { runId, source, table } = event.detail;
    const skip = event.detail.noChange && event.detail.goldBehind !== true;
    const ref = { runId, source, table };
    const verdict = onStageMerged(await deps.state.getRun(runId), ref, event['replay-name'] !== undefined, 'build-gold');
    if (verdict === 'duplicate') return;
    if (verdict !== 'act') return refuseEvent(deps.publisher, 'build-gold', event, ref, verdict.refused);
    const startedAt = new Date().toISOString();
    try {
      faultPoint('build-gold:before-build');
      // The tables are the run's own, not whatever the event names: only its source and table were checked.
      const changed = [stagingTableFor(source, table), rawTableFor(source, table)].map((name) => `${name.schema}.${name.name}`);
      const models = skip ? [] : await deps.warehouse.buildGold(deps.goldDir, changed);
      const detail: GoldBuilt = {
        runId, source, table,
        publishedAt: new Date().toISOString(),
        models: models.map((m) => ({ name: m.name, status: m.status, seconds: m.seconds, ...(m.error ? { error: m.error } : {}) })),
      };
      await deps.publisher.publish(GOLD_BUILT, detail);
      const failed = models.filter((m) => m.status === 'failed');
      if (failed.length > 0) {
        const message = failed.map((m) => `gold model ${m.name}.sql: ${m.error ?? 'failed'}`).join('; ');
        await failRun(deps.state, deps.publisher, { runId, source, table }, 'build-gold', new Error(message));
        return;
      }
      await deps.state.recordStep(runId, { name: 'build-gold', startedAt, finishedAt: new Date().toISOString(), details: { models: models.length, skipped: skip } });
      faultPoint('build-gold:after-build');
      await deps.state.finishRun(runId, 'succeeded');
    } catch (error) {
      await failRun(deps.state, deps.publisher, { runId, source, table }, 'build-gold', error);
    }
  };
}
