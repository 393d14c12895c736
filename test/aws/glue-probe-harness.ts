import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { GetJobRunCommandOutput, GlueClient } from '@aws-sdk/client-glue';

import type { AwsTestConfig } from '../moto.js';
import { repoRoot } from '../state/helpers.js';

/** What a played job run left: its exit code and everything it printed (for secret scans). */
export interface PlayedRun {
  readonly arguments: Record<string, string>;
  code?: number;
  output: string;
}

/**
 * Plays Glue's part for the job runs a test's client starts: moto records StartJobRun and answers
 * GetJobRun, but runs nothing and never reports a run as failed. Here the first GetJobRun of a run
 * starts `glue/extract.py` with the arguments moto recorded (a probe with `--probe true`), as a
 * local process against moto's S3 and Secrets Manager and the local databases; until it exits, the
 * run is RUNNING; then SUCCEEDED, or FAILED with the last line it printed as the error message,
 * as Glue reports a Python shell job that exited non-zero. Everything else is moto's own answer.
 * @see https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html
 */
export function playGlueJobRuns(glue: GlueClient, aws: AwsTestConfig): Map<string, PlayedRun> {
  const played = new Map<string, PlayedRun>();
  glue.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'GetJobRunCommand') return result;
      const jobRun = (result.output as GetJobRunCommandOutput).JobRun;
      if (jobRun?.Id === undefined) return result;
      let run = played.get(jobRun.Id);
      if (run === undefined) {
        run = { arguments: jobRun.Arguments ?? {}, output: '' };
        played.set(jobRun.Id, run);
        start(run, aws);
      }
      const lastLine = run.output.trim().split('\n').at(-1) ?? '';
      Object.assign(jobRun, run.code === undefined
        ? { JobRunState: 'RUNNING', ErrorMessage: undefined }
        : { JobRunState: run.code === 0 ? 'SUCCEEDED' : 'FAILED', ErrorMessage: run.code === 0 ? undefined : lastLine });
      return result;
    },
    { step: 'initialize', name: 'floePlayGlueJobRuns' },
  );
  return played;
}

/** The job as Glue would run it: the same script and arguments; AWS calls go to moto. */
function start(run: PlayedRun, aws: AwsTestConfig): void {
  const argv = [join(repoRoot, 'glue', 'extract.py'), ...Object.entries(run.arguments).flat()];
  const child = spawn(join(repoRoot, '.venv', 'bin', 'python'), argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: aws.region,
    },
  });
  child.stdout.on('data', (chunk: Buffer) => (run.output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (run.output += chunk.toString('utf8')));
  child.on('close', (code) => (run.code = code ?? 1));
}
