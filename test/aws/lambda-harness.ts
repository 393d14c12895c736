import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetJobRunsCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';

import { GLUE_EVENT_SOURCE, GLUE_JOB_STATE_CHANGE, routesFor, type HandlerName } from '../../events/index.js';
import { createLambdaHandler as createBuildGoldLambda } from '../../runtime/aws/lambda/build-gold.js';
import { createLambdaHandler as createCheckAfterMergeLambda } from '../../runtime/aws/lambda/check-after-merge.js';
import type { EventLambda } from '../../runtime/aws/event-lambda.js';
import { createLambdaHandler as createGlueFinishedLambda } from '../../runtime/aws/lambda/glue-finished.js';
import { createLambdaHandler as createLoadAndMergeLambda } from '../../runtime/aws/lambda/load-and-merge.js';
import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import type { SqsLambda } from '../../runtime/aws/lambda/retries-exhausted.js';
import type { SqsEventLambda } from '../../runtime/aws/sqs-event-lambda.js';
import { START_INGEST_RECEIVES } from '../../infra/start-ingest-queues.js';
import { ensureGlueForwarding, ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import type { AwsTestConfig } from '../moto.js';
import { repoRoot } from '../state/helpers.js';
import { createQueue, deliverBatch, drainQueue, sqsEvent as queueRecord, withAccount, type TestQueue } from './queues.js';

/** The Lambda runtime's context, as much of it as the entries read (remaining time for idempotency). */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface HarnessOptions {
  aws: AwsTestConfig;
  sqs: SQSClient;
  glue: GlueClient;
  eventbridge: EventBridgeClient;
  jobName: string;
  /** Glue job runs already played, so a later round never runs one twice. */
  jobRunsPlayed: Set<string>;
  /**
   * The queue behind each handler's rule, and the Lambda entry its messages are given to: as an
   * EventBridge target invokes a Lambda, or (start-ingest) as Lambda's SQS event source reads its
   * ingest queue, in batches.
   */
  handlers: Record<Exclude<HandlerName, 'start-ingest'>, { queue: TestQueue; lambda: EventLambda }> & { 'start-ingest': { queue: TestQueue; lambda: SqsEventLambda } };
  /**
   * Lambda's part after a handler's attempts are spent: each handler's on-failure queue, and the
   * retries-exhausted entry that reads them. Without it, a handler that throws stops the harness.
   */
  retriesExhausted?: { lambda: SqsLambda; failures: Record<HandlerName, TestQueue> };
}

/** Lambda's asynchronous retry policy as the stack sets it (infra/handler-function.ts): 2 retries, 3 attempts. */
export const LAMBDA_ATTEMPTS = 3;

/** What the four choreography Lambdas need: their environment, AWS clients, and the warehouse they share. */
export interface ChoreographyDeps {
  env: Record<string, string>;
  clients: { dynamodb: DynamoDBClient; eventbridge: EventBridgeClient; glue: GlueClient; s3: S3Client };
  queues: Record<HandlerName, TestQueue>;
  /** load-and-merge reads raw files through it (DuckDB reads local Parquet only). */
  raw: RawStorage;
  openWarehouse: () => Promise<Warehouse>;
}

/**
 * A queue per handler on `bus`, each behind the rules the routing table gives that handler, and
 * the default bus's rule that forwards Glue's state changes to `bus`, as the stack has them.
 */
export async function choreographyQueues(sqs: SQSClient, eventbridge: EventBridgeClient, bus: string, jobName: string, prefix: string): Promise<Record<HandlerName, TestQueue>> {
  const queues = {} as Record<HandlerName, TestQueue>;
  for (const name of ['start-ingest', 'glue-finished', 'load-and-merge', 'build-gold', 'check-after-merge'] as const) queues[name] = await createQueue(sqs, `${prefix}-${name}`);
  await ensureRules(eventbridge, bus, routesFor([jobName]), Object.fromEntries(Object.entries(queues).map(([name, queue]) => [name, queue.arn])));
  await ensureGlueForwarding(eventbridge, bus, routesFor([jobName]));
  return queues;
}

/** Each handler's queue and Lambda entry, as the stack wires them. */
export function choreographyHandlers({ env, clients, queues, raw, openWarehouse }: ChoreographyDeps): HarnessOptions['handlers'] {
  const { dynamodb, eventbridge, glue, s3 } = clients;
  return {
    'start-ingest': { queue: queues['start-ingest'], lambda: createStartIngestLambda(env, { dynamodb, eventbridge, glue }) },
    'glue-finished': { queue: queues['glue-finished'], lambda: createGlueFinishedLambda(env, { dynamodb, eventbridge, s3 }) },
    'load-and-merge': { queue: queues['load-and-merge'], lambda: createLoadAndMergeLambda(env, { dynamodb, eventbridge, s3, raw, openWarehouse }) },
    'build-gold': { queue: queues['build-gold'], lambda: createBuildGoldLambda(env, { dynamodb, eventbridge, openWarehouse }) },
    'check-after-merge': { queue: queues['check-after-merge'], lambda: createCheckAfterMergeLambda(env, { dynamodb, eventbridge }) },
  };
}

/** What went past: every event a handler was given, and each job run's output (for secret scans). */
export interface HarnessRecord {
  delivered: { handler: HandlerName; event: unknown }[];
  jobOutput: string[];
}

/**
 * Plays AWS's part where moto cannot: Lambda (it delivers each queue's messages to the handler's
 * entry, as an EventBridge target would) and Glue (it runs the extraction job recorded by
 * StartJobRun as a local process against moto's S3 and Secrets Manager, then puts the
 * "Glue Job State Change" event on the default bus, where AWS puts it). Runs until no message and
 * no job is left.
 */
export async function runUntilQuiet(options: HarnessOptions, record: HarnessRecord): Promise<void> {
  const exhausted = options.retriesExhausted;
  const ingest = options.handlers['start-ingest'].queue;
  // The stack's redrive: a record start-ingest failed on its last receive goes to its failures queue (infra/start-ingest-queues.ts).
  if (exhausted !== undefined) {
    await options.sqs.send(new SetQueueAttributesCommand({ QueueUrl: ingest.url, Attributes: {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: exhausted.failures['start-ingest'].arn, maxReceiveCount: START_INGEST_RECEIVES }),
    } }));
  }
  for (let round = 0; round < 200; round += 1) {
    let progressed = false;
    const { records, response } = await deliverBatch(options.sqs, ingest, (event) => options.handlers['start-ingest'].lambda(event, lambdaContext('floe-start-ingest')));
    for (const one of records) record.delivered.push({ handler: 'start-ingest', event: JSON.parse(one.body) as unknown });
    progressed ||= records.length > 0;
    if (exhausted === undefined && response.batchItemFailures.length > 0) {
      throw new Error(`start-ingest failed on records ${response.batchItemFailures.map((failure) => failure.itemIdentifier).join(', ')}; its log says why`);
    }
    for (const [name, { queue, lambda }] of Object.entries(options.handlers).filter(([name]) => name !== 'start-ingest') as [HandlerName, { queue: TestQueue; lambda: EventLambda }][]) {
      for (const message of await drainQueue(options.sqs, queue)) {
        // moto's target input drops the envelope's `account`, which real EventBridge delivers.
        const event = { account: '123456789012', ...(message as object) };
        record.delivered.push({ handler: name, event });
        await invokeAsAsync(options, name, lambda, event);
        progressed = true;
      }
    }
    if (exhausted !== undefined) {
      for (const [name, queue] of Object.entries(exhausted.failures) as [HandlerName, TestQueue][]) {
        for (const body of await drainQueue(options.sqs, queue)) {
          await exhausted.lambda(queueRecord(queue, withAccount(JSON.stringify(body))), lambdaContext('floe-retries-exhausted'));
          record.delivered.push({ handler: name, event: body });
          progressed = true;
        }
      }
    }
    const { JobRuns = [] } = await options.glue.send(new GetJobRunsCommand({ JobName: options.jobName }));
    for (const jobRun of JobRuns) {
      if (!jobRun.Id || options.jobRunsPlayed.has(jobRun.Id)) continue;
      options.jobRunsPlayed.add(jobRun.Id);
      const { code, output } = await runExtraction(options.aws, jobRun.Arguments ?? {});
      record.jobOutput.push(output);
      await putGlueStateChange(options, jobRun.Id, code === 0, output);
      progressed = true;
    }
    if (!progressed) return;
  }
  throw new Error('the choreography did not settle within 200 rounds');
}

/**
 * One event given to a handler's Lambda entry once more, as its trigger delivers it: a record of
 * the ingest queue for start-ingest (a failed record is thrown), the event itself for the others.
 */
export async function deliverAgain(options: HarnessOptions, name: HandlerName, event: unknown): Promise<void> {
  const context = lambdaContext(`floe-${name}`);
  if (name !== 'start-ingest') {
    await options.handlers[name].lambda(event, context);
    return;
  }
  const { queue, lambda } = options.handlers['start-ingest'];
  const { batchItemFailures } = await lambda(queueRecord(queue, JSON.stringify(event)), context);
  if (batchItemFailures.length > 0) throw new Error(`start-ingest failed on the event ${JSON.stringify(event).slice(0, 200)}; its log says why`);
}

/**
 * Lambda's asynchronous invocation as the stack configures it: a failed attempt is retried, up to
 * {@link LAMBDA_ATTEMPTS} in all; after the last, the invocation record (the event and the error)
 * goes to the handler's on-failure queue. Lambda waits a minute or more between attempts; here the
 * next attempt follows at once.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
async function invokeAsAsync(options: HarnessOptions, name: HandlerName, lambda: EventLambda, event: object): Promise<void> {
  let last: unknown;
  for (let attempt = 1; attempt <= LAMBDA_ATTEMPTS; attempt += 1) {
    try {
      await lambda(event, lambdaContext(`floe-${name}`));
      return;
    } catch (error) {
      last = error;
    }
  }
  const exhausted = options.retriesExhausted;
  if (exhausted === undefined) throw last;
  const invocationRecord = {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: randomUUID(), functionArn: `arn:aws:lambda:us-east-1:123456789012:function:floe-${name}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: LAMBDA_ATTEMPTS },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: last instanceof Error ? last.name : 'Error', errorMessage: last instanceof Error ? last.message : String(last) },
  };
  await options.sqs.send(new SendMessageCommand({ QueueUrl: exhausted.failures[name].url, MessageBody: JSON.stringify(invocationRecord) }));
}

/** The job as Glue would run it: the same script and arguments; AWS calls go to moto. */
function runExtraction(aws: AwsTestConfig, args: Record<string, string>): Promise<{ code: number; output: string }> {
  const argv = [join(repoRoot, 'glue', 'extract.py'), ...Object.entries(args).flat()];
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
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output })));
}

async function putGlueStateChange(options: HarnessOptions, jobRunId: string, succeeded: boolean, output: string): Promise<void> {
  const lastLine = output.trim().split('\n').at(-1) ?? '';
  const detail = {
    jobName: options.jobName,
    severity: succeeded ? 'INFO' : 'ERROR',
    state: succeeded ? 'SUCCEEDED' : 'FAILED',
    jobRunId,
    message: succeeded ? 'Job run succeeded' : lastLine,
  };
  const result = await options.eventbridge.send(new PutEventsCommand({
    Entries: [{ EventBusName: 'default', Source: GLUE_EVENT_SOURCE, DetailType: GLUE_JOB_STATE_CHANGE, Detail: JSON.stringify(detail) }],
  }));
  if ((result.FailedEntryCount ?? 0) > 0) throw new Error(`moto refused the Glue state change: ${JSON.stringify(result.Entries)}`);
}
