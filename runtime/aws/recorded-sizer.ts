import type { ManifestSourceSize } from '../../events/index.js';
import type { TableSizer } from '../../pipeline/ports.js';
import type { StateStore } from '../../state/index.js';

/** How many of a table's latest runs are searched for an estimate (a run that failed before its manifest has none). */
const RUNS_SEARCHED = 20;

/**
 * The size estimate `engine: auto` decides by on AWS: start-ingest runs outside the sources' network,
 * so it takes what the table's latest runs recorded from their manifests (`sourceSize`, the source
 * catalog's estimate when the job read the table). A table never extracted has none: its first run
 * is the Python job's unless the table says `engine: spark` (README, "Engines").
 */
export function recordedSizer(state: StateStore): TableSizer {
  return async ({ source, table }): Promise<ManifestSourceSize | null> => {
    const runs = await state.listRuns({ source, table, limit: RUNS_SEARCHED });
    return runs.find((run) => run.sourceSize !== undefined)?.sourceSize ?? null;
  };
}
