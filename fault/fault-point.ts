/**
 * Fault injection for the crash tests (`test/faults/`): `FLOE_FAULT=<point>` makes the process that
 * reaches that point kill itself with SIGKILL, exactly there. SIGKILL, because it is what an OOM
 * killer, a lost Lambda or a closed laptop do: no `finally`, no exit handler, no flush runs, so the
 * test sees only what a real crash would leave behind (the state file, raw files, the warehouse).
 *
 * Everywhere else, and whenever the variable is unset, {@link faultPoint} does nothing: one lookup
 * in `process.env`. The extraction job has its own points, in `glue/floe_extract/fault.py`,
 * read from the same variable (the local runner passes its environment on to the job).
 */

/** The environment variable naming the point to die at. */
export const FAULT_VARIABLE = 'FLOE_FAULT';

/**
 * Every point in the TypeScript side, in the order a run reaches them. Names are
 * `<handler or part>:<where>`; each is placed between two durable effects (a state write, an
 * event, a warehouse transaction), so dying there leaves one effect done and the next not.
 */
export const FAULT_POINTS = [
  // Each bus point: the bus appended the event to events.jsonl (so `floe replay` can find it) but
  // no handler saw it. They sit between the step that publishes and the step that reacts.
  'bus:after-log:IngestRequested',
  // The lease is taken, but no run record exists yet.
  'start-ingest:after-lease',
  // The run is recorded as running, no job started.
  'start-ingest:after-run-recorded',
  // The job is started, its job run id is not recorded, no GlueStarted. On Glue the job outlives
  // this process; locally it dies on its next write to the closed pipe, leaving data files and
  // no manifest, which the next run reads again.
  'start-ingest:after-job-started',
  'bus:after-log:GlueStarted',
  // (The job's own points, glue/floe_extract/fault.py, come here.)
  'bus:after-log:Glue Job State Change',
  // The manifest was read, nothing of it recorded.
  'glue-finished:after-manifest-read',
  // The run's manifest and row count are recorded, RawLanded is not published.
  'glue-finished:before-raw-landed',
  'bus:after-log:RawLanded',
  // The manifest was read, the raw table not touched.
  'load-and-merge:before-load',
  // Inside the raw load's transaction: the run's rows inserted, not committed.
  'warehouse:during-raw-load',
  // Raw holds the run's rows, staging does not.
  'load-and-merge:after-raw-load',
  // Inside the MERGE's (or full replace's) transaction: staging changed, not committed.
  'warehouse:during-merge',
  // Staging holds the run's rows, the watermark is not committed.
  'load-and-merge:after-merge',
  // Rows gone from the source marked or removed in staging (deletes: detect…), the watermark not committed.
  'load-and-merge:after-deletes',
  // The watermark, the run's counts and step are committed and the lease released, in one state
  // write (StateStore.commitLoad); StageMerged is not published, the run never ends.
  'load-and-merge:after-watermark',
  // The same: nothing durable happens between the two points since that write.
  'load-and-merge:before-stage-merged',
  'bus:after-log:StageMerged',
  // StageMerged arrived, no gold model rebuilt.
  'build-gold:before-build',
  // The first gold model is rebuilt, the others not.
  'warehouse:during-gold',
  // Gold is rebuilt and GoldBuilt published, the run not yet recorded as succeeded.
  'build-gold:after-build',
  'bus:after-log:GoldBuilt',
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

/** The bus's point for one event type, when it is one of {@link FAULT_POINTS}. */
export function busFaultPoint(detailType: string): FaultPoint | undefined {
  const name = `bus:after-log:${detailType}`;
  return FAULT_POINTS.find((point) => point === name);
}

/** Dies with SIGKILL if `FLOE_FAULT` names this point; otherwise returns at once. */
export function faultPoint(name: FaultPoint): void {
  if (process.env[FAULT_VARIABLE] !== name) return;
  // Synchronous and uncatchable: the signal is delivered before this call returns to JavaScript.
  process.kill(process.pid, 'SIGKILL');
}
