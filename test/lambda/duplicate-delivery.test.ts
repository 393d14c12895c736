import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GetJobRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';

import { INGEST_REQUESTED, type IngestRequested } from '../../events/index.js';
import { EventBridgePublisher } from '../../runtime/aws/eventbridge-publisher.js';
import { createStateTables, createTables, DynamoDbStateStore, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { S3MirroredRawStorage } from '../../storage/s3-mirror.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { choreographyHandlers, choreographyQueues, deliverAgain, runUntilQuiet, type HarnessOptions, type HarnessRecord } from '../aws/lambda-harness.js';
import { startMoto, type MotoServer } from '../moto.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `floe_lambda_dup_${process.pid}`;
const BUS = 'floe-dup';
const BUCKET = 'floe-dup-raw';
const JOB = 'floe-dup-extract';
const TABLES = { tableConfig: 'floe-dup-table-config', runtime: 'floe-dup-runtime', runs: 'floe-dup-runs' };
const IDEMPOTENCY = 'floe-dup-idempotency';
const STAGING = `staging."pg__${SCHEMA}__orders"`;

/**
 * The Lambda path under at-least-once delivery: two runs (a full load, then an incremental one after
 * a change) go through the Lambda entries on moto, then every event any handler was given is
 * delivered again, newest first (late, and out of order): once with its own id, as an EventBridge
 * retry sends it (Powertools idempotency drops it), and once with a new id, as a publisher's retried
 * PutEvents would send it (the handler's own checks drop it). Nothing may change: state, raw,
 * staging, gold, jobs started, events published.
 */
describe('Lambda entries: every event delivered again, late and out of order (moto)', () => {
  let moto: MotoServer;
  let folder: string;
  let client: pg.Client;
  const aws: { dynamodb?: DynamoDBClient; eventbridge?: EventBridgeClient; glue?: GlueClient; s3?: S3Client; sqs?: SQSClient; secrets?: SecretsManagerClient } = {};

  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.orders (id bigint primary key, amount numeric(12,2), updated_at timestamp(6))`);
    await client.query(`insert into ${SCHEMA}.orders select g, g * 1.25, timestamp '2025-01-01' + g * interval '1 second' from generate_series(1, 400) g`);
    moto = await startMoto({ serial: true });
    aws.dynamodb = new DynamoDBClient(moto.config);
    aws.eventbridge = new EventBridgeClient(moto.config);
    aws.glue = new GlueClient(moto.config);
    aws.s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    aws.sqs = new SQSClient(moto.config);
    aws.secrets = new SecretsManagerClient(moto.config);
    folder = await mkdtemp(join(tmpdir(), 'floe-lambda-dup-'));
  });

  afterAll(async () => {
    for (const sdk of Object.values(aws)) sdk?.destroy();
    await moto?.stop();
    await client?.query(`drop schema if exists ${SCHEMA} cascade`);
    await client?.end();
    await rm(folder, { recursive: true, force: true });
  });

  it('changes nothing: state, raw, staging, gold, jobs and events stay as one delivery left them', async () => {
    // Prepare: what the stack creates, on moto; the Lambda entries as the stack configures them
    const { dynamodb, eventbridge, glue, s3, sqs, secrets } = aws as Required<typeof aws>;
    await createStateTables(dynamodb, TABLES);
    await createTables(dynamodb, [idempotencyTableDefinition(IDEMPOTENCY)]);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await glue.send(new CreateJobCommand({
      Name: JOB, Role: 'arn:aws:iam::123456789012:role/floe-extract',
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
      ExecutionProperty: { MaxConcurrentRuns: 10 },
    }));
    const secret = await secrets.send(new CreateSecretCommand({ Name: 'floe/pg', SecretString: PG_URL }));
    const queues = await choreographyQueues(sqs, eventbridge, BUS, JOB, 'floe-dup');
    const state = new DynamoDbStateStore(dynamodb, TABLES);
    const table = `${SCHEMA}.orders`;
    await state.putTableConfigs([{ source: 'pg', table, engine: 'postgres', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at', partitionColumn: 'id', partitions: 2, lookbackSeconds: 0 }]);
    const goldDir = join(folder, 'gold');
    await mkdir(goldDir);
    await writeFile(join(goldDir, 'order_totals.sql'), `select count(*) as orders, sum(amount) as amount_total from ${STAGING}`);
    const env = {
      FLOE_BUS_NAME: BUS, FLOE_RAW_ROOT: `s3://${BUCKET}`, FLOE_GOLD_DIR: goldDir, FLOE_GLUE_JOB_NAME: JOB,
      FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime, FLOE_RUNS_TABLE: TABLES.runs,
      FLOE_IDEMPOTENCY_TABLE: IDEMPOTENCY, FLOE_SOURCE_SECRETS: JSON.stringify({ pg: secret.ARN }), POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    const warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    const openWarehouse = async (): Promise<DuckDbWarehouse> => warehouse;
    const raw = new S3MirroredRawStorage({ client: s3, root: `s3://${BUCKET}`, mirror: join(folder, 'mirror') });
    const harness: HarnessOptions = {
      aws: moto.config, sqs, glue, eventbridge, jobName: JOB, jobRunsPlayed: new Set(),
      handlers: choreographyHandlers({ env, clients: { dynamodb, eventbridge, glue, s3 }, queues, raw, openWarehouse }),
    };
    const record: HarnessRecord = { delivered: [], jobOutput: [] };
    const publisher = new EventBridgePublisher({ client: eventbridge, busName: BUS });
    const request = async (runId: string): Promise<void> => {
      const detail: IngestRequested = { runId, source: 'pg', table, publishedAt: new Date().toISOString(), requestedBy: 'test' };
      await publisher.publish(INGEST_REQUESTED, detail);
      await runUntilQuiet(harness, record);
    };
    const snapshot = async (): Promise<unknown> => ({
      state: await Promise.all(Object.values(TABLES).map(async (name) => (await dynamodb.send(new ScanCommand({ TableName: name }))).Items)),
      rawByRun: await warehouse.query(`select "_floe_run_id" as run, count(*)::int as n from raw."pg__${SCHEMA}__orders" group by all order by 1`),
      staging: await warehouse.query(`select id::int as id, amount::varchar as amount, updated_at::varchar as at from ${STAGING} order by id`),
      gold: await warehouse.query('select orders::int as orders, amount_total::varchar as total from gold.order_totals'),
      jobRuns: ((await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? []).length,
    });

    try {
      await request('r-dup-1');
      await client.query(`update ${SCHEMA}.orders set amount = amount + 1, updated_at = timestamp '2025-03-01' where id % 100 = 0`);
      await client.query(`insert into ${SCHEMA}.orders values (401, 9.99, timestamp '2025-03-01')`);
      await request('r-dup-2');
      const once = await snapshot();
      const deliveredOnce = record.delivered.splice(0);

      // Act: every delivery again, newest first, with its id and with a new one; then whatever that published
      for (const { handler, event } of [...deliveredOnce].reverse()) {
        await deliverAgain(harness, handler, structuredClone(event));
        await deliverAgain(harness, handler, { ...structuredClone(event as object), id: `retried-${(event as { id: string }).id}` });
      }
      await runUntilQuiet(harness, record);

      // Assess
      const source = await client.query(`select id::int as id, amount::text as amount, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS') as at from ${SCHEMA}.orders order by id`);
      expect(deliveredOnce.map((d) => d.handler)).toEqual(
        ['start-ingest', 'glue-finished', 'load-and-merge', 'build-gold', 'check-after-merge', 'start-ingest', 'glue-finished', 'load-and-merge', 'build-gold', 'check-after-merge'],
      );
      expect(once).toMatchObject({
        rawByRun: [{ run: 'r-dup-1', n: 400 }, { run: 'r-dup-2', n: 5 }],
        staging: source.rows,
        gold: [{ orders: 401, total: expect.any(String) }],
        jobRuns: 2,
      });
      expect(await state.getRun('r-dup-2')).toMatchObject({ status: 'succeeded', inserted: 1, updated: 4 });
      expect(record.delivered).toEqual([]);
      expect(await snapshot()).toEqual(once);
    } finally {
      await warehouse.close();
    }
  });
});
