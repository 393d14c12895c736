import { performance } from 'node:perf_hooks';

import type { TableCheck } from '../check/check-table.js';
import { keyObject, type KeyObject } from '../check/key-object.js';
import { CHECK_COMPLETED, CHECK_SAMPLE_KEYS, type CheckCompleted, type StageMergedEvent } from '../events/index.js';
import type { StateStore } from '../state/index.js';
import { onStageMerged } from './expected-run.js';
import { published, type Published, type TableChecker } from './ports.js';
import { refusal } from './refusal.js';
import type { RunRef } from './run.js';

export interface CheckAfterMergeDeps {
  state: StateStore;
  check: TableChecker;
}

function sample(keys: readonly string[], check: TableCheck): KeyObject[] {
  return keys.slice(0, CHECK_SAMPLE_KEYS).map((key) => keyObject(key, check.key));
}

/** A check's verdict as the event carries it. */
export function checkCompletedOf(ref: RunRef, check: TableCheck): CheckCompleted {
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
    sampleKeys: { missing: sample(drift?.missing ?? [], check), extra: sample(drift?.extra ?? [], check), different: sample(drift?.different ?? [], check) },
    ...(drift?.sampled === true ? { sampled: true as const } : {}),
    seconds: check.seconds,
  };
}

/**
 * StageMerged → for a table configured with `check: after-merge`, compares its source with
 * staging (`floe check`) and returns CheckCompleted; other tables are let go. It never fails the
 * run, which has already merged: a check that cannot run is itself the news, published as
 * CheckCompleted with status `failed` and the error (not in sync, so a subscriber's alert fires).
 * Idempotent: a duplicate StageMerged checks again and publishes the same verdict anew. A
 * StageMerged of a run that is unknown, of another table, or never merged is refused without
 * touching the source (expected-run.ts).
 */
export async function checkAfterMerge(deps: CheckAfterMergeDeps, event: StageMergedEvent): Promise<Published[]> {
  const { runId, source, table } = event.detail;
  const config = await deps.state.getTableConfig(source, table);
  if (config?.check !== 'after-merge') return [];
  const ref: RunRef = { runId, source, table };
  const verdict = onStageMerged(await deps.state.getRun(runId), ref, event['replay-name'] !== undefined);
  if (verdict === 'duplicate') return [];
  if (verdict !== 'act') return [refusal('check-after-merge', event, ref, verdict.refused)];
  const started = performance.now();
  try {
    return [published(CHECK_COMPLETED, checkCompletedOf(ref, await deps.check({ source, table })))];
  } catch (error) {
    return [published(CHECK_COMPLETED, {
      ...ref, publishedAt: new Date().toISOString(), status: 'failed', inSync: false,
      watermark: (await deps.state.getTableState(source, table)).watermark,
      missing: 0, extra: 0, different: 0, sampleKeys: { missing: [], extra: [], different: [] },
      error: `${error instanceof Error ? error.name : 'Error'}: ${error instanceof Error ? error.message : String(error)}`,
      seconds: (performance.now() - started) / 1000,
    })];
  }
}
