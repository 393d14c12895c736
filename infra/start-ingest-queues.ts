import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_TABLES_PER_JOB_RUN } from '../pipeline/start-run.js';
import type { HandlerFunction } from './handler-function.js';

/**
 * Records start-ingest gets in one invocation: one full job run of one source
 * ({@link MAX_TABLES_PER_JOB_RUN} tables), so a schema's tables asked for together start as job runs
 * of that size. Not more: a batch's sources, Spark and repair runs start one after another and each
 * outcome is published after, so a batch must end well inside the function's timeout (a timed-out
 * batch comes back whole, and the runs it had started would then publish nothing). Within Lambda's
 * limits: at most 10,000 for a standard queue, and the payload under 6 MB.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (a failed or timed-out invocation returns the whole batch)
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html (BatchSize: "up to the payload limit for synchronous invocation (6 MB)")
 */
export const START_INGEST_BATCH_SIZE = MAX_TABLES_PER_JOB_RUN;

/**
 * How long Lambda gathers records before invoking start-ingest with fewer than a full batch: a
 * burst of requests (request-ingest publishes a request's events ten to a PutEvents call) lands
 * within it. Lambda requires a window of at least 1 s for a batch size over 10, and allows 300 s.
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html (MaximumBatchingWindowInSeconds)
 */
export const START_INGEST_BATCHING_WINDOW = Duration.seconds(5);

/** Receives of a record start-ingest keeps failing before SQS moves it on, as for the other queues the stack reads. */
export const START_INGEST_RECEIVES = 5;

export interface StartIngestQueuesProps {
  startIngest: HandlerFunction;
  /** start-ingest's timeout: each queue hides a record it hands over for six times as long. */
  timeout: Duration;
}

/**
 * start-ingest's two queues, each read by it in batches that report their failed records
 * (`ReportBatchItemFailures`: Lambda deletes the others, and a failed record alone comes back
 * after the visibility timeout):
 * - the ingest queue, where the bus's IngestRequested rule delivers (floe-stack.ts): a record
 *   failed {@link START_INGEST_RECEIVES} times goes to start-ingest's failures queue, where
 *   retries-exhausted ends its run (IngestFailed); one it cannot end (a malformed record) lands in
 *   the dead-letter queue, which is alarmed, as for every other handler;
 * - the start-later queue, where start-ingest itself puts a request Glue or the source's
 *   connections refused for now, with a delay (runtime/aws/start-later.ts); requests deferred
 *   together come back together and start as one job run. A record it cannot handle five times
 *   lands in the dead-letter queue.
 *
 * Each queue's visibility timeout is six times the function's timeout (Lambda retries a batch the
 * function was throttled on within it), plus the batching window, during which a record is
 * already received and hidden.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 */
export class StartIngestQueues extends Construct {
  readonly ingest: Queue;
  readonly startLater: Queue;

  constructor(scope: Construct, id: string, props: StartIngestQueuesProps) {
    super(scope, id);
    const { startIngest } = props;
    const visibilityTimeout = Duration.seconds(6 * props.timeout.toSeconds() + START_INGEST_BATCHING_WINDOW.toSeconds());
    // SQS-managed encryption, not a KMS key: EventBridge can deliver to it with the queue policy alone.
    const common = { visibilityTimeout, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;
    this.ingest = new Queue(this, 'Ingest', {
      ...common,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: startIngest.failures!, maxReceiveCount: START_INGEST_RECEIVES },
    });
    // In the stack's scope, where it was before the ingest queue: a new logical id would replace the
    // queue on deploy, and drop the requests waiting in it.
    this.startLater = new Queue(scope, 'StartLater', {
      ...common,
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: startIngest.deadLetterQueue, maxReceiveCount: START_INGEST_RECEIVES },
    });
    this.startLater.grantSendMessages(startIngest.fn);
    startIngest.fn.addEnvironment('FLOE_START_LATER_QUEUE_URL', this.startLater.queueUrl);
    startIngest.fn.addEnvironment('FLOE_START_LATER_QUEUE_ARN', this.startLater.queueArn);
    for (const queue of [this.ingest, this.startLater]) {
      startIngest.fn.addEventSource(new SqsEventSource(queue, {
        batchSize: START_INGEST_BATCH_SIZE,
        maxBatchingWindow: START_INGEST_BATCHING_WINDOW,
        reportBatchItemFailures: true,
      }));
    }
  }
}
