import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { toTableConfigs, type FloeConfig, type TableFilter } from '../../config/index.js';
import type { FloeEvent } from '../../events/index.js';
import { createBuildGold } from '../../functions/build-gold/handler.js';
import { createCheckAfterMerge } from '../../functions/check-after-merge/handler.js';
import { createGlueFinished } from '../../functions/glue-finished/handler.js';
import { createLoadAndMerge } from '../../functions/load-and-merge/handler.js';
import { createStartIngest } from '../../functions/start-ingest/handler.js';
import { failAfterRetries, publishAll } from '../../pipeline/index.js';
import { STATE_PARALLELISM } from '../../pipeline/in-parallel.js';
import { isAlive } from '../../state/file-lock.js';
import { LocalStateStore, type RunRecord } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { LocalBus, type LocalHandlers, type Redelivery } from './bus.js';
import { localChecker } from './checker.js';
import { localDeleteFinder } from './delete-finder.js';
import { catalogSizer } from './catalog-sizer.js';
import { EXTRACT_JOB_NAME, EXTRACT_SPARK_JOB_NAME, LocalGlueRunner } from './glue-runner.js';
import { leaseTtlMs } from './lease-ttl.js';
import { LocalOnlyError } from './local-only.js';
import { SourceGate } from './source-gate.js';
import { TurnTakingWarehouse, warehouseWaitMs } from './turn-taking-warehouse.js';

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

/**
 * A handler whose failure may pass runs again, as on Lambda (whose retry policy makes 3 attempts):
 * locally 3 attempts, 0.5 s then 1 s apart, before the run ends with the last error.
 */
const HANDLER_ATTEMPTS = 3;
const HANDLER_BACKOFF_MS = 500;

/** Deliveries after which the local warehouse is let go even in a burst, bounding DuckDB's memory. */
const WAREHOUSE_TURN_DELIVERIES = 20;

/**
 * Tables whose steps the bus delivers at once. A step of a table with nothing new is state
 * writes, each waiting on fsyncs that overlap with other tables' (300 such tables one at a time:
 * 4 s of a 10 s run, the main thread mostly idle); the warehouse still takes one statement at a
 * time. As many as the core's state operations of a burst (pipeline/in-parallel.ts).
 */
const STEP_LANES = STATE_PARALLELISM;

export interface LocalPipeline {
  bus: LocalBus;
  state: LocalStateStore;
  /** Each failed run's failure (step: error), by run id. */
  failures: ReadonlyMap<string, string>;
  /** Resolves when no event is queued, no handler runs and no job is running. */
  settle(): Promise<void>;
  outcome(request: { runId: string; source: string; table: string }): Promise<TableOutcome>;
  close(): Promise<void>;
}

/** The runs' ends as the bus saw them: failures by run id, and which were refused as busy. */
class RunEnds {
  readonly failures = new Map<string, string>();
  readonly busy = new Set<string>();

  see(event: FloeEvent): void {
    if (event['detail-type'] !== 'IngestFailed') return;
    this.failures.set(event.detail.runId, `${event.detail.step}: ${event.detail.error}`);
    // The table, or the local warehouse file, was held by another run: asking again later works.
    if (event.detail.errorName === 'TableBusy' || event.detail.errorName === 'WarehouseBusy') this.busy.add(event.detail.runId);
  }
}

/**
 * The same handlers as on AWS, wired to the in-process bus, the local state file, the raw layer (a
 * folder or S3), the warehouse (DuckDB or Snowflake), and the extraction job as a child process.
 */
export async function openLocalPipeline(config: FloeConfig, options: LocalRunOptions): Promise<LocalPipeline> {
  const onSnowflake = config.warehouse.startsWith('snowflake://');
  if (!onSnowflake && !config.warehouse.startsWith('duckdb://')) throw new LocalOnlyError(`warehouse ${config.warehouse}: floe run writes to a duckdb:// or snowflake:// warehouse`);
  // Imported only for a Snowflake warehouse: its SDK costs a local run on DuckDB 0.35 s and 45 MB.
  const warehouse = onSnowflake
    ? keptOpen(await (await import('../../warehouse/snowflake-from-config.js')).openSnowflakeWarehouse(config, { loadsRaw: true }))
    : await localWarehouse(config.warehouse.slice('duckdb://'.length), options);
  // The warehouse first: a file another process holds for longer than floe waits stops the run
  // before anything of it is recorded or extracted.
  let raw: RawLayer | undefined;
  const state = new LocalStateStore(config.state);
  try {
    await warehouse.probe();
    raw = await rawLayer(config, onSnowflake);
    await state.putTableConfigs(toTableConfigs(config));
  } catch (error) {
    await raw?.close().catch(() => undefined);
    await warehouse.close().catch(() => undefined);
    throw error;
  }
  const ends = new RunEnds();
  let deliveries = 0;
  const bus: LocalBus = new LocalBus({
    ...(options.redelivery ? { redelivery: options.redelivery } : {}),
    eventLog: join(config.state, 'events.jsonl'),
    onEvent: (event) => {
      ends.see(event);
      options.onEvent?.(event);
    },
    // Kept while more events are queued or in delivery (reopening DuckDB for each of a burst of
    // steps costs more than the steps), let go every WAREHOUSE_TURN_DELIVERIES: DuckDB's memory grows with every table
    // an open instance touched (300 tables, floe's own peak since the CLI loads one command: 309-311 MB
    // let go every 30, 293-306 MB every 20; BENCHMARKS.md, "Many tables").
    afterDelivery: async (pending) => {
      deliveries += 1;
      if (pending === 0 || deliveries % WAREHOUSE_TURN_DELIVERIES === 0) await warehouse.release();
    },
    lanes: STEP_LANES,
    retry: {
      attempts: HANDLER_ATTEMPTS,
      backoffMs: HANDLER_BACKOFF_MS,
      exhausted: async (handler, event, error): Promise<void> => publishAll(bus, await failAfterRetries(state, handler, event, error)),
    },
  });
  const gate = new SourceGate({
    state,
    limits: new Map(config.sources.map((source) => [source.name, source.maxConnections])),
    ...(options.onJobOutput ? { onQueued: options.onJobOutput } : {}),
  });
  const jobs = new LocalGlueRunner({ publish: (event) => bus.publishEvent(event), gate, marks: { state, raw: raw.landing }, ...(options.onJobOutput ? { onOutput: options.onJobOutput } : {}) });
  bus.subscribe(localHandlers(config, { state, warehouse, bus, jobs, gate, raw }));
  return {
    bus,
    state,
    failures: ends.failures,
    async settle() {
      do {
        await bus.idle();
        await jobs.idle();
        await new Promise((resolve) => setImmediate(resolve));
      } while (bus.busy);
      for (const { handler, event, error } of bus.handlerErrors.splice(0)) {
        const runId = 'runId' in event.detail ? String(event.detail.runId) : '';
        ends.failures.set(runId, `${handler}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async outcome(request) {
      const run = await state.getRun(request.runId);
      const failure = ends.failures.get(request.runId) ?? (run?.status === 'succeeded' ? null : 'the run did not finish');
      return { ...request, run, failure, busy: ends.busy.has(request.runId) };
    },
    close: async () => {
      try {
        await raw.close();
      } finally {
        await warehouse.close();
      }
    },
  };
}

/** Where the job lands (its `--raw-root`, and the manifests the steps read), and where the warehouse loads from. */
export interface RawLayer {
  landing: RawStorage;
  loading: RawStorage;
  close(): Promise<void>;
}

/**
 * The raw folder, or the config's `s3://bucket/prefix` through the AWS SDK's usual credentials and
 * region (environment, profile), as the job reaches it through boto3's. Snowflake reads S3 itself,
 * through the external stage `floe snowflake apply` made on the raw root; local DuckDB loads a copy
 * of each run's files, kept under the state folder (`raw-mirror/<this process>/`) until the
 * pipeline closes: raw in DuckDB holds the rows, and a replay copies its run's files again.
 */
export async function rawLayer(config: FloeConfig, onSnowflake: boolean): Promise<RawLayer> {
  if (!config.raw.startsWith('s3://')) {
    const folder = new LocalRawStorage(config.raw);
    return { landing: folder, loading: folder, close: async () => undefined };
  }
  // Imported only for an S3 raw root: a local run on a raw folder never loads the S3 SDK.
  const [{ S3Client }, { S3RawStorage }, { S3MirroredRawStorage }] = await Promise.all([
    import('@aws-sdk/client-s3'), import('../../storage/s3.js'), import('../../storage/s3-mirror.js'),
  ]);
  // boto3 in the job reads AWS_DEFAULT_REGION too; the SDK only AWS_REGION. S3 answers a bucket asked
  // in another region with a redirect, which boto3 follows and the SDK follows only when told
  // (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/migrate-s3.html, "Amazon S3 region redirects").
  const region = process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  const client = new S3Client({ followRegionRedirects: true, ...(region === undefined || region === '' ? {} : { region }) });
  const landing = new S3RawStorage({ client, root: config.raw });
  try {
    await landing.probe();
  } catch (error) {
    client.destroy();
    throw error;
  }
  if (onSnowflake) return { landing, loading: landing, close: async () => client.destroy() };
  // One folder per process: two runs on one state folder never delete each other's copies. A
  // folder whose process is gone (killed before its end) is deleted by the next run.
  const mirrors = join(config.state, 'raw-mirror');
  await removeOrphanMirrors(mirrors);
  const mirror = join(mirrors, `${process.pid}-${randomBytes(4).toString('hex')}`);
  const loading = new S3MirroredRawStorage({ client, root: config.raw, mirror });
  return {
    landing,
    loading,
    close: async () => {
      client.destroy();
      await rm(mirror, { recursive: true, force: true });
    },
  };
}

/** The mirror folders under `mirrors` (`<pid>-<random>`) of processes that no longer run. */
async function removeOrphanMirrors(mirrors: string): Promise<void> {
  const folders = await readdir(mirrors).catch(() => []);
  for (const folder of folders) {
    const pid = Number(folder.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) await rm(join(mirrors, folder), { recursive: true, force: true });
  }
}

/** Snowflake serves many sessions at once: its warehouse stays open for the whole run, nothing to take turns at. */
function keptOpen(warehouse: Warehouse): Warehouse & { probe(): Promise<void>; release(): Promise<void> } {
  return Object.assign(warehouse, { probe: async () => undefined, release: async () => undefined });
}

/** The DuckDB file, taken by each step in turn (turn-taking-warehouse.ts); said once when another process holds it. */
async function localWarehouse(file: string, options: LocalRunOptions): Promise<TurnTakingWarehouse> {
  // A fresh project has no .floe/ yet; DuckDB creates the file but not its folder.
  if (file !== ':memory:') await mkdir(dirname(file), { recursive: true });
  return new TurnTakingWarehouse(file, {
    waitMs: warehouseWaitMs(),
    onWaiting: (busy) => options.onJobOutput?.(`waiting for the warehouse: ${busy.message.replace(/ Run again when .*$/, '')}`),
  });
}

/** Every handler of the choreography, over the local adapters. */
function localHandlers(
  config: FloeConfig,
  adapters: { state: LocalStateStore; warehouse: Warehouse; bus: LocalBus; jobs: LocalGlueRunner; gate: SourceGate; raw: RawLayer },
): LocalHandlers {
  const { state, warehouse, bus: publisher, jobs, gate } = adapters;
  const { landing: raw, loading } = adapters.raw;
  const connections = new Map(config.sources.map((s) => [s.name, s.connection]));
  return {
    'start-ingest': createStartIngest({
      state, publisher, raw, leaseTtlMs: leaseTtlMs(),
      jobs: { jobName: EXTRACT_JOB_NAME, startJobRun: (args) => jobs.startJobRun(args) },
      sparkJobs: { jobName: EXTRACT_SPARK_JOB_NAME, startJobRun: (args) => jobs.startJobRun(args, 'spark') },
      sizer: catalogSizer(config, gate),
      connectionFor: (source) => connections.get(source) ?? '',
    }),
    'glue-finished': createGlueFinished({ state, publisher, raw }),
    'load-and-merge': createLoadAndMerge({ state, publisher, raw: loading, warehouse, findDeletedKeys: localDeleteFinder(config, warehouse, gate) }),
    'build-gold': createBuildGold({ state, publisher, warehouse, goldDir: config.gold }),
    'check-after-merge': createCheckAfterMerge({ state, publisher, check: localChecker(config, { warehouse, state, gate, raw: config.warehouse.startsWith('snowflake://') ? raw : null }) }),
  };
}
