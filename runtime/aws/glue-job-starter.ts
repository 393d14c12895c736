import { StartJobRunCommand, type GlueClient } from '@aws-sdk/client-glue';

import type { JobStarter } from '../../pipeline/index.js';
import { FloeError } from '../../errors/floe-error.js';

/** Glue errors that the same request will meet again: the job is missing or the call is malformed. */
const TERMINAL_GLUE_ERRORS = new Set(['EntityNotFoundException', 'InvalidInputException', 'AccessDeniedException']);

/** StartJobRun failed; `retryable` says whether a later delivery of the same request may succeed. */
export class JobStartError extends FloeError {
  override readonly name = 'JobStartError';

  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options);
  }
}

export interface GlueJobStarterOptions {
  client: GlueClient;
  /** The Glue job created by the stack from `glue/`. */
  jobName: string;
}

/**
 * Starts the extraction job on AWS Glue: the AWS twin of {@link LocalGlueRunner.startJobRun}.
 * The job-arguments map goes to StartJobRun unchanged (`--run-id`, `--raw-root`, …); on AWS its
 * `--connection` is a `secretsmanager:<id>`, since arguments are visible in the Glue console.
 */
export class GlueJobStarter implements JobStarter {
  readonly jobName: string;
  private readonly client: GlueClient;

  constructor(options: GlueJobStarterOptions) {
    this.client = options.client;
    this.jobName = options.jobName;
  }

  async startJobRun(jobArguments: Record<string, string>): Promise<{ jobRunId: string }> {
    const runId = jobArguments['--run-id'] ?? '(no --run-id)';
    let jobRunId: string | undefined;
    try {
      ({ JobRunId: jobRunId } = await this.client.send(new StartJobRunCommand({ JobName: this.jobName, Arguments: jobArguments })));
    } catch (error) {
      const code = (error as { name?: unknown }).name;
      const retryable = !(typeof code === 'string' && TERMINAL_GLUE_ERRORS.has(code));
      // The arguments are not quoted: they may name a secret, and the run id is enough to find them.
      throw new JobStartError(
        `could not start Glue job "${this.jobName}" for run ${runId}: ${(error as Error).message}` +
          (retryable ? '; it can be retried' : '; check that the job exists and the role may start it'),
        { cause: error, retryable },
      );
    }
    if (!jobRunId) {
      throw new JobStartError(`Glue job "${this.jobName}" for run ${runId}: StartJobRun returned no JobRunId`, { retryable: true });
    }
    return { jobRunId };
  }
}
