import { randomBytes } from 'node:crypto';
import { GetJobRunCommand, type GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import type { TableConfig } from '../config/index.js';
import { extractionJobArguments } from '../pipeline/job-arguments.js';
import { GlueJobStarter } from '../runtime/aws/glue-job-starter.js';
import { fail, skipped, type VerifyLine } from './verify-line.js';
import { REDEPLOY } from './aws-verify-stack.js';
import { outcomeLines, PROBE_STEPS, ProbeOutcomeSchema, type ProbeOutcome } from './aws-verify-probe-outcome.js';

/** One probe: a source, the table it reads (its first configured), and the connection start-ingest gives the job. */
export interface ProbeTarget {
  readonly source: string;
  readonly table: TableConfig;
  /** `secretsmanager:<arn>[?host=…]`, from the stack's SourceSecrets. */
  readonly connection: string;
}

/** How long to wait for the probe runs, and how often to ask Glue. */
export interface ProbeWait {
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** Injected by tests; real time otherwise. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ProbeDeps {
  readonly glue: GlueClient;
  readonly s3: S3Client;
  readonly jobName: string;
  /** The stack's RawRoot: `s3://bucket[/prefix]`. */
  readonly rawRoot: string;
  readonly wait: ProbeWait;
  /** Where progress goes while the runs are waited for (stderr): never a check line. */
  readonly progress: (line: string) => void;
}

/**
 * Run states after which a job run does nothing more.
 * @see https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html
 */
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'TIMEOUT', 'ERROR', 'EXPIRED']);

interface Started {
  readonly target: ProbeTarget;
  readonly runId: string;
  readonly jobRunId: string;
  state: string;
  errorMessage?: string | undefined;
}

/**
 * A probe run of the extraction job per target (glue/floe_extract/probe.py): StartJobRun with the
 * arguments start-ingest would give a run of that table, and `--probe true`; then GetJobRun until
 * each has ended or the wait is over; then each run's outcome, `_probe/<run id>.json` in the raw root.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRun.html
 */
export async function runProbes(deps: ProbeDeps, targets: readonly ProbeTarget[]): Promise<VerifyLine[]> {
  const lines: VerifyLine[] = [];
  const starter = new GlueJobStarter({ client: deps.glue, jobName: deps.jobName });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const started: Started[] = [];
  for (const [index, target] of targets.entries()) {
    const runId = `probe-${stamp}-${randomBytes(3).toString('hex')}-${index + 1}`;
    const args = {
      ...extractionJobArguments({ ...target.table, connection: target.connection }, { runId, rawRoot: deps.rawRoot, runTime: new Date(), watermark: null }),
      '--probe': 'true',
    };
    try {
      const { jobRunId } = await starter.startJobRun(args);
      started.push({ target, runId, jobRunId, state: 'STARTING' });
    } catch (error) {
      lines.push(fail(checkName(target), `Glue did not start job ${deps.jobName}`, startFix(error, deps.jobName), { by: 'Glue', error: (error as Error).cause ?? error }));
    }
  }
  await waitForRuns(deps, started);
  for (const run of started) lines.push(...(await linesOf(deps, run)));
  return lines;
}

/** `probe clr (clr.users)`: the check's name for a target. */
function checkName(target: ProbeTarget, step?: string): string {
  return `probe ${target.source} (${target.table.table})${step === undefined ? '' : ` ${step}`}`;
}

function startFix(error: unknown, jobName: string): string {
  const code = ((error as Error).cause as { name?: string } | undefined)?.name;
  if (code === 'EntityNotFoundException') return `the stack has no job ${jobName}: ${REDEPLOY}`;
  if (code === 'AccessDeniedException') return `run verify with credentials that may glue:StartJobRun and glue:GetJobRun on job ${jobName}`;
  if (code === 'ConcurrentRunsExceededException') return `job ${jobName} is at its limit of concurrent runs: verify again when runs have ended`;
  return 'read Glue\'s words below, then verify again';
}

/** GetJobRun for each run until all ended or the wait is over, saying what is awaited now and then. */
async function waitForRuns(deps: ProbeDeps, runs: Started[]): Promise<void> {
  const sleep = deps.wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const start = Date.now();
  let said = '';
  let saidAt = 0;
  for (;;) {
    const pending = runs.filter((run) => !ENDED.has(run.state));
    for (const run of pending) {
      try {
        const { JobRun } = await deps.glue.send(new GetJobRunCommand({ JobName: deps.jobName, RunId: run.jobRunId }));
        run.state = JobRun?.JobRunState ?? run.state;
        run.errorMessage = JobRun?.ErrorMessage;
      } catch (error) {
        run.state = 'UNREADABLE';
        run.errorMessage = (error as Error).message;
      }
    }
    const waiting = runs.filter((run) => !ENDED.has(run.state) && run.state !== 'UNREADABLE');
    if (waiting.length === 0) return;
    const elapsed = Date.now() - start;
    if (elapsed >= deps.wait.timeoutMs) return;
    const now = waiting.map((run) => `${run.target.source} ${run.state}`).join(', ');
    // A line when a state changes, and once a minute while none does.
    if (now !== said || Date.now() - saidAt >= 60_000) {
      deps.progress(`waiting for ${waiting.length} probe run(s) of job ${deps.jobName} (${Math.round(elapsed / 1000)} s of at most ${Math.round(deps.wait.timeoutMs / 1000)} s): ${now}`);
      [said, saidAt] = [now, Date.now()];
    }
    await sleep(deps.wait.pollMs);
  }
}

/** The lines of one run: one per probe step from its outcome, or why there is none. */
async function linesOf(deps: ProbeDeps, run: Started): Promise<VerifyLine[]> {
  const check = checkName(run.target);
  if (run.state === 'UNREADABLE') {
    return [fail(check, `Glue would not say how job run ${run.jobRunId} went`, `run verify with credentials that may glue:GetJobRun on job ${deps.jobName}`, { by: 'Glue', error: run.errorMessage ?? '' })];
  }
  if (!ENDED.has(run.state)) {
    return [fail(check, `job run ${run.jobRunId} still ${run.state} after ${Math.round(deps.wait.timeoutMs / 60_000)} min (it is left to end by itself)`,
      `look at the run in the Glue console (a run that never leaves STARTING waits for capacity or for its network connection's subnet); verify again with a longer --wait-minutes`)];
  }
  let outcome: ProbeOutcome | undefined;
  let unreadable: unknown;
  try {
    outcome = await readOutcome(deps, run.runId);
  } catch (error) {
    unreadable = error;
  }
  if (outcome === undefined) {
    const where = `${deps.rawRoot.replace(/\/+$/, '')}/_probe/${run.runId}.json`;
    return [fail(check, `job run ${run.jobRunId} ended ${run.state} with no outcome at ${where}${unreadable === undefined ? '' : ' that these credentials could read'}`,
      `read the run's log in CloudWatch Logs (group /aws-glue/python-jobs/error, stream ${run.jobRunId}): a job that cannot reach S3 (the S3 gateway endpoint of its subnets) or write the raw bucket (its role) cannot install its wheel set or write the outcome`,
      unreadable === undefined ? { by: 'Glue', error: run.errorMessage ?? `(no error message; state ${run.state})` } : { by: 'S3', error: unreadable })];
  }
  const lines = outcomeLines(outcome, (step) => checkName(run.target, step), run.target.source);
  if (run.state !== 'SUCCEEDED' && outcome.ok) {
    lines.push(fail(check, `every step passed, yet job run ${run.jobRunId} ended ${run.state}`, 'read the run in the Glue console', { by: 'Glue', error: run.errorMessage ?? '' }));
  }
  return lines.length > 0 ? lines : PROBE_STEPS.map((step) => skipped(checkName(run.target, step), 'the outcome names no step'));
}

/** `_probe/<run id>.json` under the raw root, or undefined when the job wrote none. */
async function readOutcome(deps: ProbeDeps, runId: string): Promise<ProbeOutcome | undefined> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(deps.rawRoot);
  if (match === null) throw new Error(`RawRoot ${deps.rawRoot} is not an s3:// URL`);
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  const key = `${prefix === '' ? '' : `${prefix}/`}_probe/${runId}.json`;
  try {
    const answer = await deps.s3.send(new GetObjectCommand({ Bucket: match[1], Key: key }));
    return ProbeOutcomeSchema.parse(JSON.parse(await answer.Body!.transformToString('utf8')) as unknown);
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

