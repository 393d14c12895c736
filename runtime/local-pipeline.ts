import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { INGEST_REQUESTED, type FloeEvent, type IngestRequested } from '../events/index.js';
import { selectTables, toTableConfigs, type FloeConfig, type TableFilter } from '../config/index.js';
import { createBuildGold } from '../functions/build-gold/handler.js';
import { createGlueFinished } from '../functions/glue-finished/handler.js';
import { createLoadAndMerge } from '../functions/load-and-merge/handler.js';
import { createStartIngest } from '../functions/start-ingest/handler.js';
import { LocalStateStore, type RunRecord } from '../state/index.js';
import { LocalRawStorage } from '../storage/local.js';
import { DuckDbWarehouse } from '../warehouse/duckdb.js';
import { LocalBus, type Publisher } from './local-bus.js';
import { EXTRACT_JOB_NAME, LocalGlueRunner } from './local-glue-runner.js';

export interface LocalRunOptions {
  filter?: TableFilter;
  /** Every selected table in full mode, whatever its configured mode. */
  full?: boolean;
  onEvent?: (event: FloeEvent) => void;
  onJobOutput?: (line: string) => void;
}

export interface TableOutcome {
  runId: string;
  source: string;
  table: string;
  run: RunRecord | null;
  /** The error of the step that failed, when the run did not reach GoldBuilt. */
  failure: string | null;
}

const LEASE_TTL_MS = 6 * 60 * 60 * 1000;

/** A run id that sorts by time and says which table it is for. */
export function newRunId(now: Date = new Date()): string {
  return `r${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/**
 * `floe run` on embedded defaults: the same handlers as on AWS, wired to the in-process bus, the
 * local state file, the raw folder, DuckDB, and the extraction job as a child process.
 */
export async function runLocally(config: FloeConfig, options: LocalRunOptions = {}): Promise<TableOutcome[]> {
  if (!config.warehouse.startsWith('duckdb://')) throw new Error(`warehouse ${config.warehouse}: only duckdb:// runs locally`);
  if (config.raw.startsWith('s3://')) throw new Error(`raw ${config.raw}: the local runtime writes to a folder`);
  const selected = selectTables(config, options.filter ?? {});
  const state = new LocalStateStore(config.state);
  await state.putTableConfigs(toTableConfigs(config));
  const raw = new LocalRawStorage(config.raw);
  const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
  const connections = new Map(config.sources.map((s) => [s.name, s.connection]));
  const failures = new Map<string, string>();
  // Handlers publish through this late-bound publisher: the bus needs the handlers to exist first.
  let bus: LocalBus | undefined;
  const publisher: Publisher = { publish: (detailType, detail) => bus!.publish(detailType, detail) };
  const jobs = new LocalGlueRunner({
    publish: (event) => bus!.publishEvent(event),
    ...(options.onJobOutput ? { onOutput: options.onJobOutput } : {}),
  });
  bus = new LocalBus({
    eventLog: join(config.state, 'events.jsonl'),
    onEvent: (event) => {
      if (event['detail-type'] === 'IngestFailed') failures.set(event.detail.runId, `${event.detail.step}: ${event.detail.error}`);
      options.onEvent?.(event);
    },
    handlers: {
      'start-ingest': createStartIngest({
        state, publisher, rawRoot: raw.root, leaseTtlMs: LEASE_TTL_MS,
        jobs: { jobName: EXTRACT_JOB_NAME, startJobRun: (args) => jobs.startJobRun(args) },
        connectionFor: (source) => connections.get(source) ?? '',
      }),
      'glue-finished': createGlueFinished({ state, publisher, raw }),
      'load-and-merge': createLoadAndMerge({ state, publisher, raw, warehouse }),
      'build-gold': createBuildGold({ state, publisher, warehouse, goldDir: config.gold }),
    },
  });
  const localBus = bus;
  try {
    const requested = selected.map(({ source, table }) => ({ runId: newRunId(), source: source.name, table: table.name }));
    for (const request of requested) {
      const detail: IngestRequested = { ...request, publishedAt: new Date().toISOString(), requestedBy: 'floe run' };
      if (options.full) detail.mode = 'full';
      await localBus.publish(INGEST_REQUESTED, detail);
    }
    do {
      await localBus.idle();
      await jobs.idle();
    } while (await busIsBusy(localBus));
    for (const { handler, event, error } of localBus.handlerErrors) {
      const runId = 'runId' in event.detail ? String(event.detail.runId) : '';
      failures.set(runId, `${handler}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return await Promise.all(
      requested.map(async (r) => {
        const run = await state.getRun(r.runId);
        const failure = failures.get(r.runId) ?? (run?.status === 'succeeded' ? null : 'the run did not finish');
        return { ...r, run, failure };
      }),
    );
  } finally {
    await warehouse.close();
  }
}

async function busIsBusy(bus: LocalBus): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  return bus.busy;
}
