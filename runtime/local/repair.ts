import { INGEST_REQUESTED, type IngestRequested } from '../../events/index.js';
import type { FloeConfig } from '../../config/index.js';
import { openLocalPipeline, type LocalRunOptions, type TableOutcome } from './pipeline.js';
import { newRunId } from './run.js';

/** One table's repair: its key batches, one run each. */
export interface RepairRequest {
  source: string;
  table: string;
  batches: readonly (readonly string[])[][];
}

/**
 * `floe check --repair` locally: each batch of keys becomes one repair run (an IngestRequested with
 * `keys`) through the same choreography as `floe run`. A table's batches run one after another,
 * since each run takes the table's lease; different tables' batches run side by side.
 */
export async function repairLocally(config: FloeConfig, requests: readonly RepairRequest[], options: LocalRunOptions = {}): Promise<TableOutcome[]> {
  const pipeline = await openLocalPipeline(config, options);
  const outcomes: TableOutcome[] = [];
  try {
    const rounds = Math.max(0, ...requests.map((request) => request.batches.length));
    for (let round = 0; round < rounds; round += 1) {
      const started = requests.filter((request) => round < request.batches.length).map((request) => ({ runId: newRunId(), source: request.source, table: request.table, keys: request.batches[round]! }));
      for (const { keys, ...run } of started) {
        const detail: IngestRequested = { ...run, publishedAt: new Date().toISOString(), requestedBy: 'floe check --repair', keys: keys.map((key) => [...key]) };
        await pipeline.bus.publish(INGEST_REQUESTED, detail);
      }
      await pipeline.settle();
      outcomes.push(...(await Promise.all(started.map(({ keys: _keys, ...run }) => pipeline.outcome(run)))));
    }
    return outcomes;
  } finally {
    await pipeline.close();
  }
}
