import { randomBytes } from 'node:crypto';

import { selectTables, type FloeConfig } from '../../config/index.js';
import { INGEST_REQUESTED, type IngestRequested } from '../../events/index.js';
import { openLocalPipeline, type LocalRunOptions, type TableOutcome } from './pipeline.js';

/** A run id that sorts by time. */
export function newRunId(now: Date = new Date()): string {
  return `r${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** `floe run`: one IngestRequested per selected table, then wait until every run has ended. */
export async function runLocally(config: FloeConfig, options: LocalRunOptions = {}): Promise<TableOutcome[]> {
  const selected = selectTables(config, options.filter ?? {});
  const pipeline = await openLocalPipeline(config, options);
  try {
    const requested = selected.map(({ source, table }) => ({ runId: newRunId(), source: source.name, table: table.name }));
    // Published together, so the tables of one source start as one job run.
    await pipeline.bus.publishAll(INGEST_REQUESTED, requested.map((request): IngestRequested => ({
      ...request, publishedAt: new Date().toISOString(), requestedBy: 'floe run', ...(options.full ? { mode: 'full' } : {}),
    })));
    await pipeline.settle();
    return await Promise.all(requested.map((request) => pipeline.outcome(request)));
  } finally {
    await pipeline.close();
  }
}
