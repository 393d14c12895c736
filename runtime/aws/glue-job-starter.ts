import { StartJobRunCommand, type GlueClient } from '@aws-sdk/client-glue';

import type { JobCapacity, JobStarter } from '../../pipeline/index.js';
import { FloeError } from '../../errors/floe-error.js';

/** Glue errors that the same request will meet again: the job is missing or the call is malformed. */
const TERMINAL_GLUE_ERRORS = new Set(['EntityNotFoundException', 'InvalidInputException', 'AccessDeniedException']);

/**
 * Glue's refusals for a limit on concurrent runs (the job's `maxConcurrentRuns`, the account's
 * quota): a later attempt gets through once runs end.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html
 */
const CONCURRENCY_LIMIT_ERRORS = new Set(['ConcurrentRunsExceededException', 'ResourceNumberLimitExceededException']);

/**
 * StartJobRun failed; `retryable` says whether a later delivery of the same request may succeed,
 * and `concurrencyLimit` whether it waits for runs to end (start-ingest queues it: start-later.ts).
 */
export class JobStartError extends FloeError {
  override readonly name = 'JobStartError';
  readonly concurrencyLimit: boolean;

  constructor(message: string, options: { cause?: unknown; retryable: boolean; concurrencyLimit?: boolean }) {
    super(message, options);
    this.concurrencyLimit = options.concurrencyLimit ?? false;
  }
}

export interface GlueJobStarterOptions {
  client: GlueClient;
  /** The Glue job created by the stack from `glue/`: the Python job, or the Spark job. */
  jobName: string;
}

/**
 * Starts the extraction job on AWS Glue: the AWS twin of {@link LocalGlueRunner.startJobRun}.
 * The job-arguments map goes to StartJobRun unchanged (`--run-id`, `--raw-root`, …); on AWS its
 * `--connection` is a `secretsmanager:<id>`, since arguments are visible in the Glue console. A Spark
 * run's capacity becomes the run's `WorkerType` and `NumberOfWorkers`, over the job's own.
 */
export class GlueJobStarter implements JobStarter {
  readonly jobName: string;
  private readonly client: GlueClient;

  constructor(options: GlueJobStarterOptions) {
    this.client = options.client;
    this.jobName = options.jobName;
  }

  async startJobRun(jobArguments: Record<string, string>, capacity?: JobCapacity): Promise<{ jobRunId: string }> {
    const runId = jobArguments['--run-id'] ?? '(no --run-id)';
    let jobRunId: string | undefined;
    try {
      ({ JobRunId: jobRunId } = await this.client.send(new StartJobRunCommand({
        JobName: this.jobName,
        Arguments: jobArguments,
        ...(capacity === undefined ? {} : { WorkerType: capacity.workerType, NumberOfWorkers: capacity.workers }),
      })));
    } catch (error) {
      const code = (error as { name?: unknown }).name;
      const retryable = !(typeof code === 'string' && TERMINAL_GLUE_ERRORS.has(code));
      const concurrencyLimit = typeof code === 'string' && CONCURRENCY_LIMIT_ERRORS.has(code);
      // The arguments are not quoted: they may name a secret, and the run id is enough to find them.
      throw new JobStartError(
        `could not start Glue job "${this.jobName}" for run ${runId}: ${(error as Error).message}` +
          (concurrencyLimit ? '; the job is at its limit of concurrent runs, so the start waits for one to end'
            : retryable ? '; it can be retried' : '; check that the job exists and the role may start it'),
        { cause: error, retryable, concurrencyLimit },
      );
    }
    if (!jobRunId) {
      throw new JobStartError(`Glue job "${this.jobName}" for run ${runId}: StartJobRun returned no JobRunId`, { retryable: true });
    }
    return { jobRunId };
  }
}
