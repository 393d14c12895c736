import { performance } from 'node:perf_hooks';

import type { TableCheck } from '../../check/check-table.js';
import { keyValues } from '../../check/compare.js';
import { CHECK_COMPLETED, CHECK_SAMPLE_KEYS, STAGE_MERGED, type CheckCompleted, type FloeEvent } from '../../events/index.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { StateStore } from '../../state/index.js';
import { onStageMerged } from '../expected-run.js';
import { refuseEvent } from '../refuse-event.js';

/** Compares one table's source with its staging table (`floe check`); the deployment supplies it. */
export type CheckOneTable = (table: { source: string; table: string }) => Promise<TableCheck>;

export interface CheckAfterMergeDeps {
  state: StateStore;
  publisher: Publisher;
  check: CheckOneTable;
}

function sample(keys: readonly string[]): (string | null)[][] {
  return keys.slice(0, CHECK_SAMPLE_KEYS).map(keyValues);
}

/** A check's verdict as the event carries it. */
export function checkCompletedOf(ref: { runId: string; source: string; table: string }, check: TableCheck): CheckCompleted {
  const drift = check.drift;
  return {
    ...ref,
    publishedAt: new Date().toISOString(),
    status: check.status,
    inSync: check.status !== 'drift',
    watermark: check.watermark,
    ...(drift ? { sourceRows: drift.sourceRows, stagingRows: drift.stagingRows } : {}),
    missing: drift?.missing.length ?? 0,
    extra: drift?.extra.length ?? 0,
    different: drift?.different.length ?? 0,
    sampleKeys: { missing: sample(drift?.missing ?? []), extra: sample(drift?.extra ?? []), different: sample(drift?.different ?? []) },
    ...(drift?.sampled === true ? { sampled: true as const } : {}),
    seconds: check.seconds,
  };
}

/**
 * StageMerged → for a table configured with `check: after-merge`, compares its source with
 * staging (`floe check`) and publishes CheckCompleted; other tables are let go. It never fails the
 * run, which has already merged: a check that cannot run is itself the news, published as
 * CheckCompleted with status `failed` and the error (not in sync, so a subscriber's alert fires).
 * Idempotent: a duplicate StageMerged checks again and publishes the same verdict anew.
 * A StageMerged of a run that is unknown, of another table, or never merged is refused
 * (EventRefused) without touching the source (expected-run.ts).
 */
export function createCheckAfterMerge(deps: CheckAfterMergeDeps): (event: FloeEvent) => Promise<void> {
  return async (event) => {
    if (event['detail-type'] !== STAGE_MERGED) return;
    const { runId, source, table } = event.detail;
    const config = await deps.state.getTableConfig(source, table);
    if (config?.check !== 'after-merge') return;
    const ref = { runId, source, table };
    const verdict = onStageMerged(await deps.state.getRun(runId), ref, event['replay-name'] !== undefined);
    if (verdict === 'duplicate') return;
    if (verdict !== 'act') return refuseEvent(deps.publisher, 'check-after-merge', event, ref, verdict.refused);
    const started = performance.now();
    let detail: CheckCompleted;
    try {
      detail = checkCompletedOf({ runId, source, table }, await deps.check({ source, table }));
    } catch (error) {
      detail = {
        runId, source, table, publishedAt: new Date().toISOString(), status: 'failed', inSync: false,
        watermark: (await deps.state.getTableState(source, table)).watermark,
        missing: 0, extra: 0, different: 0, sampleKeys: { missing: [], extra: [], different: [] },
        error: `${error instanceof Error ? error.name : 'Error'}: ${error instanceof Error ? error.message : String(error)}`,
        seconds: (performance.now() - started) / 1000,
      };
    }
    await deps.publisher.publish(CHECK_COMPLETED, detail);
  };
}
