import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

import { routesFor } from '../../events/index.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { startMoto, type MotoServer } from '../moto.js';
import { createQueue, type TestQueue } from './queues.js';

export interface StartIngestAccountOptions {
  /** Names every table, queue, bus and bucket of the account: `floe-<name>-…`. */
  name: string;
  /** The Glue jobs to create, each with its MaxConcurrentRuns; the first is start-ingest's. */
  jobs: readonly (readonly [jobName: string, maxConcurrentRuns: number])[];
  /** Each source's connection secret ARN (FLOE_SOURCE_SECRETS). */
  sources: readonly string[];
  /** Hold job runs in STARTING until a test lets them end (moto ends one as soon as it is looked at). */
  manualJobRuns?: boolean;
  /** Where the bus's IngestRequested rule delivers: the ingest queue, as the stack has it, or a sink a test reads from. */
  ingestRule: 'ingest-queue' | 'sink';
  /** An extra rule delivering these floe events to the `published` queue, as a downstream subscriber would see them. */
  publishedDetailTypes?: readonly string[] | 'all';
}

/** A moto account as start-ingest's Lambda entry finds it deployed: state and idempotency tables, Glue jobs, the bus's rules and queues. */
export interface StartIngestAccount {
  readonly moto: MotoServer;
  readonly clients: { dynamodb: DynamoDBClient; eventbridge: EventBridgeClient; glue: GlueClient; sqs: SQSClient; s3: S3Client };
  readonly state: DynamoDbStateStore;
  readonly bus: string;
  readonly bucket: string;
  readonly ingest: TestQueue;
  readonly later: TestQueue;
  readonly published: TestQueue;
  /** The Lambda's environment, as the stack sets it. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export const secretOf = (source: string): string => `arn:aws:secretsmanager:us-east-1:123456789012:secret:floe/${source}-AbCdEf`;

/** Starts a moto server of the test file's own and sets the account up (see {@link StartIngestAccountOptions}). */
export async function startIngestAccount(options: StartIngestAccountOptions): Promise<StartIngestAccount> {
  const prefix = `floe-${options.name}`;
  const moto = await startMoto({ serial: true });
  const clients = {
    dynamodb: new DynamoDBClient(moto.config),
    eventbridge: new EventBridgeClient(moto.config),
    glue: new GlueClient(moto.config),
    sqs: new SQSClient(moto.config),
    s3: new S3Client({ ...moto.config, forcePathStyle: true }),
  };
  const tables = { tableConfig: `${prefix}-table-config`, runtime: `${prefix}-runtime`, runs: `${prefix}-runs` };
  const bus = `${prefix}-events`;
  const bucket = `${prefix}-raw`;
  await createStateTables(clients.dynamodb, tables);
  await createTables(clients.dynamodb, [idempotencyTableDefinition(`${prefix}-idempotency`)]);
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [jobName, maxConcurrentRuns] of options.jobs) {
    await clients.glue.send(new CreateJobCommand({
      Name: jobName, Role: 'arn:aws:iam::123456789012:role/floe-extract', ExecutionProperty: { MaxConcurrentRuns: maxConcurrentRuns },
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
    }));
  }
  if (options.manualJobRuns === true) await motoJobRunsProgress(moto, { progression: 'manual', times: 1_000_000 });
  const ingest = await createQueue(clients.sqs, `${prefix}-ingest`);
  const later = await createQueue(clients.sqs, `${prefix}-start-later`);
  const published = await createQueue(clients.sqs, `${prefix}-published`);
  const sink = await createQueue(clients.sqs, `${prefix}-sink`);
  const [firstJob] = options.jobs;
  await ensureRules(clients.eventbridge, bus, routesFor([firstJob?.[0] ?? '']), {
    'start-ingest': options.ingestRule === 'ingest-queue' ? ingest.arn : sink.arn,
    'glue-finished': sink.arn, 'load-and-merge': sink.arn, 'build-gold': sink.arn, 'check-after-merge': sink.arn,
  });
  if (options.publishedDetailTypes !== undefined) {
    const pattern = { source: ['floe.pipeline'], ...(options.publishedDetailTypes === 'all' ? {} : { 'detail-type': options.publishedDetailTypes }) };
    await clients.eventbridge.send(new PutRuleCommand({ Name: `${prefix}-published`, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
    await clients.eventbridge.send(new PutTargetsCommand({ Rule: `${prefix}-published`, EventBusName: bus, Targets: [{ Id: 'published', Arn: published.arn }] }));
  }
  const env = {
    FLOE_BUS_NAME: bus, FLOE_RAW_ROOT: `s3://${bucket}`, FLOE_TABLE_CONFIG_TABLE: tables.tableConfig, FLOE_RUNTIME_TABLE: tables.runtime,
    FLOE_RUNS_TABLE: tables.runs, FLOE_IDEMPOTENCY_TABLE: `${prefix}-idempotency`, FLOE_GLUE_JOB_NAME: firstJob?.[0] ?? '',
    FLOE_SOURCE_SECRETS: JSON.stringify(Object.fromEntries(options.sources.map((source) => [source, secretOf(source)]))),
    FLOE_START_LATER_QUEUE_URL: later.url, FLOE_START_LATER_QUEUE_ARN: later.arn,
    // No wait in the tests: SQS would hold the message 30 s, then 60 s, …
    FLOE_START_LATER_FIRST_DELAY_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  return {
    moto, clients, state: new DynamoDbStateStore(clients.dynamodb, tables), bus, bucket, ingest, later, published, env,
    stop: async () => {
      for (const client of Object.values(clients)) client.destroy();
      await moto.stop();
    },
  };
}

/** How moto moves Glue job runs through their states (its state manager; see moto's docs, "State Transitions"). */
export async function motoJobRunsProgress(server: MotoServer, transition: { progression: 'manual'; times: number } | { progression: 'immediate' }): Promise<void> {
  const response = await fetch(`${server.config.endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST', body: JSON.stringify({ model_name: 'glue::job_run', transition }),
  });
  if (!response.ok) throw new Error(`moto refused the transition: ${response.status}`);
}
