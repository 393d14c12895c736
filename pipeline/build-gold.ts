import { FloeError, isRetryable } from '../errors/floe-error.js';
import { GOLD_BUILT, type StageMergedEvent } from '../events/index.js';
import { faultPoint } from '../fault/fault-point.js';
import type { StateStore } from '../state/index.js';
import { rawTableFor, stagingTableFor } from '../warehouse/naming.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { onStageMerged } from './expected-run.js';
import { failRun } from './fail-run.js';
import { published, type Published } from './ports.js';
import { refusal } from './refusal.js';
import type { RunRef } from './run.js';

export interface BuildGoldDeps {
  state: StateStore;
  warehouse: Warehouse;
  goldDir: string;
}

/** A gold model failed to build: its file and the warehouse's error. */
export class GoldModelFailed extends FloeError {
  override readonly name = 'GoldModelFailed';
}

/**
 * StageMerged → rebuilds the gold models that read the run's staging or raw table (directly or
 * through other models), records the step, ends the run as succeeded and returns GoldBuilt. Nothing
 * changed (and gold not behind): nothing is rebuilt. A model that fails is reported by file name
 * and fails the run; models not depending on it still build. The tables are the run's own, from
 * its source and table, never what the event names. A StageMerged of a run that is unknown, of
 * another table, or never merged is refused (expected-run.ts).
 */
export async function buildGold(deps: BuildGoldDeps, event: StageMergedEvent): Promise<Published[]> {
  const { runId, source, table } = event.detail;
  const ref: RunRef = { runId, source, table };
  const verdict = onStageMerged(await deps.state.getRun(runId), ref, event['replay-name'] !== undefined, 'build-gold');
  if (verdict === 'duplicate') return [];
  if (verdict !== 'act') return [refusal('build-gold', event, ref, verdict.refused)];
  const skip = event.detail.noChange && event.detail.goldBehind !== true;
  const startedAt = new Date().toISOString();
  try {
    faultPoint('build-gold:before-build');
    const changed = [stagingTableFor(source, table), rawTableFor(source, table)].map((name) => `${name.schema}.${name.name}`);
    const models = skip ? [] : await deps.warehouse.buildGold(deps.goldDir, changed);
    const goldBuilt = published(GOLD_BUILT, {
      ...ref,
      publishedAt: new Date().toISOString(),
      models: models.map((m) => ({ name: m.name, status: m.status, seconds: m.seconds, ...(m.error ? { error: m.error } : {}) })),
    });
    const failed = models.filter((m) => m.status === 'failed');
    if (failed.length > 0) {
      const message = failed.map((m) => `gold model ${m.name}.sql: ${m.error ?? 'failed'}`).join('; ');
      return [goldBuilt, await failRun(deps.state, ref, 'build-gold', new GoldModelFailed(message, { context: { ...ref, step: 'build-gold' } }))];
    }
    faultPoint('build-gold:after-build');
    await deps.state.finishRun(runId, 'succeeded', undefined, { name: 'build-gold', startedAt, finishedAt: new Date().toISOString(), details: { models: models.length, skipped: skip } });
    return [goldBuilt];
  } catch (error) {
    if (isRetryable(error)) throw error;
    return [await failRun(deps.state, ref, 'build-gold', error)];
  }
}
