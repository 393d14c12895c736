import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { INGEST_REQUESTED, parseEvent, type FloeEvent, type IngestRequested } from '../events/index.js';
import { ConfigError, selectTables, toTableConfigs, type FloeConfig, type TableFilter } from '../config/index.js';
import { createBuildGold } from '../functions/build-gold/handler.js';
import { createCheckAfterMerge } from '../functions/check-after-merge/handler.js';
import { createGlueFinished } from '../functions/glue-finished/handler.js';
import { createLoadAndMerge } from '../functions/load-and-merge/handler.js';
import { createStartIngest } from '../functions/start-ingest/handler.js';
import { LocalStateStore, type RunRecord } from '../state/index.js';
import { LocalRawStorage } from '../storage/local.js';
import { DuckDbWarehouse } from '../warehouse/duckdb.js';
import { localChecker } from './local-checker.js';
import { localDeleteFinder } from './local-delete-finder.js';
import { LocalBus, type Publisher, type Redelivery } from './local-bus.js';
import { EXTRACT_JOB_NAME, LocalGlueRunner } from './local-glue-runner.js';

export interface LocalRunOptions {
  filter?: TableFilter;
  /** Every selected table in full mode, whatever its configured mode. */
  full?: boolean;
  onEvent?: (event: FloeEvent) => void;
  onJobOutput?: (line: string) => void;
  /** Tests only (the CLI never sets it): every event delivered more than once; see {@link Redelivery}. */
  redelivery?: Redelivery;
}

export interface TableOutcome {
  runId: string;
  source: string;
  table: string;
  run: RunRecord | null;
  /** The error of the step that failed, when the run did not reach GoldBuilt. */
  failure: string | null;
  /** True when the run never started because another run holds the table. */
  busy: boolean;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  readonly retryable = false;
}

const DEFAULT_LEASE_TTL_MS = 6 * 60 * 60 * 1000;

/** Shortens the table lease of local runs, so a crash test can watch a dead run's lease expire. */
export const LEASE_TTL_VARIABLE = 'FLOE_LEASE_TTL_SECONDS';

/**
 * How long a run's table lease lasts before another run may take it over: 6 h (longer than any
 * run should take), or {@link LEASE_TTL_VARIABLE} seconds when set.
 */
export function leaseTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[LEASE_TTL_VARIABLE];
  if (text === undefined || text === '') return DEFAULT_LEASE_TTL_MS;
  if (!/^[1-9][0-9]*$/.test(text)) {
    throw new ConfigError(`${LEASE_TTL_VARIABLE} must be a whole number of seconds above 0, got ${JSON.stringify(text)}`);
  }
  return Number(text) * 1000;
}

/** A run id that sorts by time. */
export function newRunId(now: Date = new Date()): string {
  return `r${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

function eventLogOf(config: FloeConfig): string {
  return join(config.state, 'events.jsonl');
}

export interface LocalPipeline {
  bus: LocalBus;
  state: LocalStateStore;
  failures: Map<string, string>;
  /** Runs refused because their table was busy. */
  busy: Set<string>;
  /** Resolves when no event is queued, no handler runs and no job is running. */
  settle(): Promise<void>;
  outcome(request: { runId: string; source: string; table: string }): Promise<TableOutcome>;
  close(): Promise<void>;
}

/**
 * The same handlers as on AWS, wired to the in-process bus, the local state file, the raw folder,
 * DuckDB, and the extraction job as a child process.
 */
export async function openLocalPipeline(config: FloeConfig, options: LocalRunOptions): Promise<LocalPipeline> {
  if (!config.warehouse.startsWith('duckdb://')) throw new Error(`warehouse ${config.warehouse}: only duckdb:// runs locally`);
  if (config.raw.startsWith('s3://')) throw new Error(`raw ${config.raw}: the local runtime writes to a folder`);
  const leaseTtl = leaseTtlMs();
  const state = new LocalStateStore(config.state);
  await state.putTableConfigs(toTableConfigs(config));
  const raw = new LocalRawStorage(config.raw);
  const warehouseFile = config.warehouse.slice('duckdb://'.length);
  // A fresh project has no .floe/ yet; DuckDB creates the file but not its folder.
  if (warehouseFile !== ':memory:') await mkdir(dirname(warehouseFile), { recursive: true });
  const warehouse = await DuckDbWarehouse.open(warehouseFile);
  const connections = new Map(config.sources.map((s) => [s.name, s.connection]));
  const failures = new Map<string, string>();
  const busy = new Set<string>();
  // Handlers publish through this late-bound publisher: the bus needs the handlers to exist first.
  let lateBus: LocalBus | undefined;
  const publisher: Publisher = { publish: (detailType, detail) => lateBus!.publish(detailType, detail) };
  const jobs = new LocalGlueRunner({
    publish: (event) => lateBus!.publishEvent(event),
    ...(options.onJobOutput ? { onOutput: options.onJobOutput } : {}),
  });
  const bus = new LocalBus({
    ...(options.redelivery ? { redelivery: options.redelivery } : {}),
    eventLog: eventLogOf(config),
    onEvent: (event) => {
      if (event['detail-type'] === 'IngestFailed') {
        failures.set(event.detail.runId, `${event.detail.step}: ${event.detail.error}`);
        if (event.detail.errorName === 'TableBusy') busy.add(event.detail.runId);
      }
      options.onEvent?.(event);
    },
    handlers: {
      'start-ingest': createStartIngest({
        state, publisher, rawRoot: raw.root, leaseTtlMs: leaseTtl,
        jobs: { jobName: EXTRACT_JOB_NAME, startJobRun: (args) => jobs.startJobRun(args) },
        connectionFor: (source) => connections.get(source) ?? '',
      }),
      'glue-finished': createGlueFinished({ state, publisher, raw }),
      'load-and-merge': createLoadAndMerge({ state, publisher, raw, warehouse, findDeletedKeys: localDeleteFinder(config, warehouse) }),
      'build-gold': createBuildGold({ state, publisher, warehouse, goldDir: config.gold }),
      'check-after-merge': createCheckAfterMerge({ state, publisher, check: localChecker(config, warehouse, state) }),
    },
  });
  lateBus = bus;
  return {
    bus,
    state,
    failures,
    busy,
    async settle() {
      do {
        await bus.idle();
        await jobs.idle();
        await new Promise((resolve) => setImmediate(resolve));
      } while (bus.busy);
      for (const { handler, event, error } of bus.handlerErrors.splice(0)) {
        const runId = 'runId' in event.detail ? String(event.detail.runId) : '';
        failures.set(runId, `${handler}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async outcome(request) {
      const run = await state.getRun(request.runId);
      const failure = failures.get(request.runId) ?? (run?.status === 'succeeded' ? null : 'the run did not finish');
      return { ...request, run, failure, busy: busy.has(request.runId) };
    },
    close: () => warehouse.close(),
  };
}

/** `floe run`: one IngestRequested per selected table, then wait until every run has ended. */
export async function runLocally(config: FloeConfig, options: LocalRunOptions = {}): Promise<TableOutcome[]> {
  const selected = selectTables(config, options.filter ?? {});
  const pipeline = await openLocalPipeline(config, options);
  try {
    const requested = selected.map(({ source, table }) => ({ runId: newRunId(), source: source.name, table: table.name }));
    for (const request of requested) {
      const detail: IngestRequested = { ...request, publishedAt: new Date().toISOString(), requestedBy: 'floe run' };
      if (options.full) detail.mode = 'full';
      await pipeline.bus.publish(INGEST_REQUESTED, detail);
    }
    await pipeline.settle();
    return await Promise.all(requested.map((request) => pipeline.outcome(request)));
  } finally {
    await pipeline.close();
  }
}

/**
 * `floe replay`: republishes the run's last `from` event from the event log, marked as a replay
 * (as EventBridge marks archive replays), so the steps after it run again. Replaying an
 * IngestRequested starts a new run of the same request, since one run id extracts once.
 */
export async function replayLocally(
  config: FloeConfig,
  runId: string,
  from: string,
  options: LocalRunOptions = {},
): Promise<TableOutcome> {
  const past = await findPastEvent(config, runId, from);
  const pipeline = await openLocalPipeline(config, options);
  try {
    const replayName = `floe-replay-${newRunId()}`;
    let request = { runId, source: past.detail.source, table: past.detail.table };
    if (past['detail-type'] === INGEST_REQUESTED) {
      request = { ...request, runId: newRunId() };
      const detail = { ...past.detail, runId: request.runId, publishedAt: new Date().toISOString(), requestedBy: `replay of ${runId}` };
      await pipeline.bus.publish(INGEST_REQUESTED, detail);
    } else {
      await pipeline.bus.publishEvent({ ...past, 'replay-name': replayName });
    }
    await pipeline.settle();
    return await pipeline.outcome(request);
  } finally {
    await pipeline.close();
  }
}

type RunEvent = FloeEvent & { detail: { runId: string; source: string; table: string } };

async function findPastEvent(config: FloeConfig, runId: string, from: string): Promise<RunEvent> {
  let text: string;
  try {
    text = await readFile(eventLogOf(config), 'utf8');
  } catch {
    throw new ReplayError(`no event log at ${eventLogOf(config)}: nothing has run with this state folder yet`);
  }
  const events = text.split('\n').map((line, index) => {
    if (line === '') return null;
    try {
      return parseEvent(line);
    } catch (error) {
      // Only floe writes this log, after validating each event: a line breaking its contract was
      // changed by hand or cut short by a crash. Replaying around it could replay the wrong event.
      throw new ReplayError(
        `${eventLogOf(config)} line ${index + 1}: ${(error as Error).message}; nothing was replayed. ` +
          'Repair or delete that line, then replay again.',
        { cause: error },
      );
    }
  }).filter((event): event is FloeEvent => event !== null);
  const ofRun = events.filter((e): e is RunEvent => 'runId' in e.detail && e.detail.runId === runId);
  if (ofRun.length === 0) throw new ReplayError(`no events of run ${runId} in ${eventLogOf(config)}`);
  const match = ofRun.filter((e) => e['detail-type'] === from).at(-1);
  if (!match) {
    const seen = [...new Set(ofRun.map((e) => e['detail-type']))].join(', ');
    throw new ReplayError(`run ${runId} has no ${from} event to replay (it has: ${seen})`);
  }
  return match;
}
