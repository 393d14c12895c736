/**
 * Where an IngestRequested waits when Glue refuses to start its job because the job (or the
 * account) is at its limit of concurrent runs: an SQS queue whose messages come back to
 * start-ingest after a delay that doubles each time, so a burst of more tables than the job's
 * `maxConcurrentRuns` is started as runs end, never failed for it.
 *
 * The run keeps its table's lease while it waits (start-ingest took it; each new attempt renews
 * it), so no other run of the table slips in. A wait is bounded: every floe job run ends within
 * the job's timeout, so a run refused for longer than {@link MAX_START_WAIT_MS} is kept out by
 * something else (other jobs at the account's limit), and it ends, saying so.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html (ConcurrentRunsExceededException, ResourceNumberLimitExceededException)
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html (per-message delay, at most 15 minutes)
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

import { JOB_TIMEOUT_MINUTES } from '../../pipeline/lease.js';
import { JobStartError } from './glue-job-starter.js';

/** SQS's longest per-message delay. */
export const MAX_DELAY_SECONDS = 15 * 60;

/** The longest a run waits for Glue to take it: the job's timeout, by which every run ahead of it has ended. */
export const MAX_START_WAIT_MS = JOB_TIMEOUT_MINUTES * 60 * 1000;

/** What a waiting request carries back to start-ingest: the event as the bus delivered it, and how long it has waited. */
export const StartLaterMessageSchema = z.object({
  event: z.record(z.string(), z.unknown()),
  /** The attempt this delivery is, counting the first (refused) one as 1. */
  attempt: z.number().int().min(2),
  /** When Glue first refused to start the run's job. */
  waitingSince: z.iso.datetime(),
});
export type StartLaterMessage = z.infer<typeof StartLaterMessageSchema>;

/** Whether Glue refused the start because of a limit on concurrent runs, which a later attempt gets past. */
export function isConcurrencyLimit(error: unknown): error is JobStartError {
  return error instanceof JobStartError && error.concurrencyLimit;
}

/** The delay before `attempt` (2, 3, …): `firstDelaySeconds`, doubling, at most 15 minutes. */
export function delayBefore(attempt: number, firstDelaySeconds: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.round(firstDelaySeconds * 2 ** Math.max(0, attempt - 2)));
}

export interface StartLaterOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** The wait before the second attempt (default 30 s); each later wait doubles it, up to 15 minutes. */
  firstDelaySeconds?: number;
}

/** Sends a refused request back to the queue, to be tried again after the next delay. */
export class StartLater {
  readonly firstDelaySeconds: number;

  constructor(private readonly options: StartLaterOptions) {
    this.firstDelaySeconds = options.firstDelaySeconds ?? 30;
  }

  /**
   * Queues the event for attempt `attempt`, unless it has waited {@link MAX_START_WAIT_MS} since
   * `waitingSince`: then returns false, and the caller ends the run.
   */
  async defer(event: unknown, attempt: number, waitingSince: Date, now = new Date()): Promise<{ queued: boolean; delaySeconds: number }> {
    const delaySeconds = delayBefore(attempt, this.firstDelaySeconds);
    if (now.getTime() + delaySeconds * 1000 - waitingSince.getTime() > MAX_START_WAIT_MS) return { queued: false, delaySeconds };
    const message: StartLaterMessage = { event: event as Record<string, unknown>, attempt, waitingSince: waitingSince.toISOString() };
    await this.options.sqs.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }));
    return { queued: true, delaySeconds };
  }
}
