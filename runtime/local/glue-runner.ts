import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ExtractionEngine } from '../../config/extraction-engine.js';
import { GLUE_EVENT_SOURCE, GLUE_JOB_STATE_CHANGE, type GlueJobStateChangeEvent } from '../../events/index.js';
import { markQueued } from '../../pipeline/queued.js';
import type { StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import type { Share, SourceGate } from './source-gate.js';

/** The Glue job's name on AWS; the local runner reports under the same name. */
export const EXTRACT_JOB_NAME = 'floe-extract';
/** The Spark job's: run locally in Spark local mode (glue/extract_spark.py). */
export const EXTRACT_SPARK_JOB_NAME = 'floe-extract-spark';

/** Each engine's script in glue/, and the job name its runs report under. */
const LOCAL_JOBS: Readonly<Record<ExtractionEngine, { script: string; jobName: string }>> = {
  python: { script: 'extract.py', jobName: EXTRACT_JOB_NAME },
  spark: { script: 'extract_spark.py', jobName: EXTRACT_SPARK_JOB_NAME },
};

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ERROR_PREFIX = 'floe-extract: error: ';
const CONNECTION_VARIABLE = 'FLOE_EXTRACT_CONNECTION';

export interface LocalGlueRunnerOptions {
  /** Python interpreter with floe_extract installed; defaults to the project's `.venv`. */
  python?: string;
  /** Called with each console line the job prints (progress, summary). */
  onOutput?: (line: string) => void;
  /** Where the runner publishes the job's end, exactly as AWS would. */
  publish: (event: GlueJobStateChangeEvent) => Promise<void>;
  /** Bounds the connections the job runs hold on their source, across job runs and processes. */
  gate: SourceGate;
  /**
   * Where the runs of a job run the gate holds back are marked `queued` until it starts (`floe
   * status`), and the raw layer whose batch files name a batch's runs.
   */
  marks?: { state: Pick<StateStore, 'updateRun'>; raw: Pick<RawStorage, 'readBatch'> };
}

/**
 * Starts `glue/extract.py` as a child process, as AWS Glue would start the job, and publishes a
 * `Glue Job State Change` event when it ends: SUCCEEDED, or FAILED with the job's one-line error.
 * `startJobRun` resolves as soon as the run is accepted, like Glue's StartJobRun. A job run starts
 * once it holds its share of the source's `maxConnections` (source-gate.ts), queued until then: a
 * batch at least one connection and up to the limit (its `--max-connections` is what it got), a
 * table its parts, a Spark run the limit. A queued job run lives in this process: a floe killed
 * while it waits leaves its run to `floe unlock` or the lease's expiry, as a kill before the start would.
 */
export class LocalGlueRunner {
  private readonly python: string;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: LocalGlueRunnerOptions) {
    this.python = options.python ?? defaultPython();
  }

  /** `engine` picks the script: the Python job, or the Spark job in local mode (`FLOE_SPARK_MASTER`, default all cores). */
  async startJobRun(jobArguments: Record<string, string>, engine: ExtractionEngine = 'python'): Promise<{ jobRunId: string }> {
    const jobRunId = `jr_local_${randomUUID()}`;
    const source = jobArguments['--database'] ?? '';
    const limit = this.options.gate.limitOf(source);
    const batch = jobArguments['--batch'] !== undefined;
    const range = engine === 'spark' ? { want: limit } : batch ? { want: limit, least: 1 } : { want: Number(jobArguments['--partitions'] ?? 1) };
    const job = LOCAL_JOBS[engine];
    const runHolding = async (share: Share): Promise<void> => {
      try {
        await this.run(jobRunId, batch ? { ...jobArguments, '--max-connections': String(share.granted) } : jobArguments, job);
      } finally {
        // The job has ended and said so; a share not given back expires with its lease (SLOT_TTL_MS).
        await share.release().catch(() => undefined);
      }
    };
    // With connections free now, the job starts before this returns, as a Glue job run is started
    // once StartJobRun answers: a floe killed right after still leaves the job to run to its end.
    const now = await this.options.gate.tryTake(source, jobRunId, range);
    // The marks are written beside the wait, not before it: a hundred runs' state writes would
    // otherwise delay start-ingest and then the job run's start. A mark that cannot be written only
    // leaves floe status saying running, and one left behind only misleads it: neither stops the job.
    const marking = now === null ? this.markWaiting(jobArguments, source, limit).catch(() => []) : Promise.resolve([]);
    const started = async (share: Share): Promise<void> => {
      const cleared = marking.then(async (waiting) => {
        if (waiting.length > 0 && this.options.marks !== undefined) await markQueued(this.options.marks.state, waiting, null).catch(() => undefined);
      });
      this.track(cleared);
      await runHolding(share);
    };
    const finished = (now !== null ? runHolding(now) : this.options.gate.take(source, jobRunId, range).then(started))
      .catch((error: unknown) => this.finish(job.jobName, jobRunId, 1, `could not take the source's connections: ${error instanceof Error ? error.message : String(error)}`));
    this.track(marking.then(() => undefined));
    this.track(finished);
    return { jobRunId };
  }

  /** Work idle() waits for: a job run to its end, and the queued marks written beside it. */
  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Marks the job run's runs queued (its batch file names a batch's), and returns them; none without `marks`. */
  private async markWaiting(jobArguments: Record<string, string>, source: string, limit: number): Promise<string[]> {
    const marks = this.options.marks;
    if (marks === undefined) return [];
    const batch = jobArguments['--batch'];
    const runIds = batch === undefined
      ? [jobArguments['--run-id'] ?? '']
      : (await marks.raw.readBatch(batch)).tables.map((table) => table['--run-id'] ?? '');
    const reason = `source ${source}: its ${limit} connection(s) (maxConnections) are taken; the job run starts when enough are free`;
    const named = runIds.filter((runId) => runId !== '');
    await markQueued(marks.state, named, { since: new Date().toISOString(), reason });
    return named;
  }

  /** Runs the job to its end and publishes its state change; never rejects. */
  private run(jobRunId: string, jobArguments: Record<string, string>, job: { script: string; jobName: string }): Promise<void> {
    // A connection URL may hold a password: it goes through the environment, never the command line.
    const { '--connection': connection = '', ...rest } = jobArguments;
    const argv = [join(REPO_ROOT, 'glue', job.script), ...Object.entries(rest).flat(), '--connection', `env:${CONNECTION_VARIABLE}`];
    const child = spawn(this.python, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [CONNECTION_VARIABLE]: connection },
    });
    let lastError = '';
    // One buffer per stream: a partial stdout line must not glue onto the error line on stderr.
    const lineReader = (): ((chunk: Buffer) => void) => {
      let pending = '';
      return (chunk) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith(ERROR_PREFIX)) lastError = line.slice(ERROR_PREFIX.length);
          this.options.onOutput?.(line);
        }
      };
    };
    child.stdout.on('data', lineReader());
    child.stderr.on('data', lineReader());
    return new Promise<void>((resolveRun) => {
      child.on('error', (error) => void this.finish(job.jobName, jobRunId, 1, `could not start ${this.python}: ${error.message}`).then(resolveRun));
      // A job killed by a signal (the OOM killer, a crash test's SIGKILL) has no exit code and printed no error line.
      child.on('close', (code, signal) =>
        void this.finish(job.jobName, jobRunId, code ?? 1, lastError || (signal ? `the job was killed by ${signal}` : '')).then(resolveRun));
    });
  }

  /** Resolves once every started job has ended and its state change was published. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async finish(jobName: string, jobRunId: string, exitCode: number, error: string): Promise<void> {
    const succeeded = exitCode === 0;
    await this.options.publish({
      version: '0',
      id: randomUUID(),
      'detail-type': GLUE_JOB_STATE_CHANGE,
      source: GLUE_EVENT_SOURCE,
      account: 'local',
      time: new Date().toISOString(),
      region: 'local',
      resources: [],
      detail: {
        jobName,
        jobRunId,
        state: succeeded ? 'SUCCEEDED' : 'FAILED',
        message: succeeded ? 'Job run succeeded' : error || `the job exited with code ${exitCode}`,
        severity: succeeded ? 'INFO' : 'ERROR',
      },
    });
  }
}

function defaultPython(): string {
  const fromEnv = process.env['FLOE_PYTHON'];
  if (fromEnv) return fromEnv;
  const venv = join(REPO_ROOT, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}
