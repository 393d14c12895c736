import { z } from 'zod';

/** `detail-type` AWS Glue uses for job run state changes. */
export const GLUE_JOB_STATE_CHANGE = 'Glue Job State Change';

/** Every state Glue reports for a job run. */
export const GLUE_JOB_STATES = [
  'STARTING',
  'RUNNING',
  'STOPPING',
  'WAITING',
  'SUCCEEDED',
  'FAILED',
  'TIMEOUT',
  'STOPPED',
  'ERROR',
] as const;

/** States after which the run will not change again; `glue-finished` reacts to these only. */
export const GLUE_FINISHED_STATES = ['SUCCEEDED', 'FAILED', 'TIMEOUT', 'STOPPED', 'ERROR'] as const;

/**
 * AWS's own event when a Glue job run changes state (source `aws.glue`).
 * It says nothing about floe's run, source or table: `glue-finished` looks
 * those up from the `GlueStarted` event with the same `jobRunId`.
 * Fields AWS adds later are kept (loose object), not rejected.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "b7c8d9e0-f1a2-4b3c-9d4e-5f6a7b8c9d0e",
 *   "detail-type": "Glue Job State Change",
 *   "source": "aws.glue",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:03:41Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "jobName": "floe-extract",
 *     "severity": "INFO",
 *     "state": "SUCCEEDED",
 *     "jobRunId": "jr_4f1b9c2e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
 *     "message": "Job run succeeded"
 *   }
 * }
 * ```
 * @see https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
 */
export const GlueJobStateChangeSchema = z.looseObject({
  jobName: z.string().min(1),
  jobRunId: z.string().min(1),
  state: z.enum(GLUE_JOB_STATES),
  /** Glue's human-readable explanation, e.g. `Job run succeeded`. */
  message: z.string(),
  severity: z.enum(['INFO', 'WARN', 'ERROR']),
});

export type GlueJobStateChange = z.infer<typeof GlueJobStateChangeSchema>;
export type GlueJobState = GlueJobStateChange['state'];
