import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';

import { HANDLER_NAMES, type HandlerName } from '../../events/index.js';
import { createLambdaHandler as createRetriesExhaustedLambda } from '../../runtime/aws/lambda/retries-exhausted.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { S3MirroredRawStorage } from '../../storage/s3-mirror.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';
import { startMoto, type MotoServer } from '../moto.js';
import { choreographyHandlers, choreographyQueues, LAMBDA_ATTEMPTS, runUntilQuiet, type HarnessRecord } from './lambda-harness.js';
import { createQueue, drainQueue, type TestQueue } from './queues.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_aws_retries';
const BUS = 'floe-retries';
const BUCKET = 'floe-retries-raw';
const JOB = 'floe-retries-extract';
const TABLES = { tableConfig: 'floe-retries-table-config', runtime: 'floe-retries-runtime', runs: 'floe-retries-runs' };

/**
 * Opens the DuckDB file as the Lambda entry does (again after each failure), its raw loads refused
 * the first `refusals` times the way a Snowflake lock wait or a dropped connection is: a
 * WarehouseError marked retryable. Everything else goes to DuckDB.
 */
function refusingLoads(file: string, refusals: number): { open: () => Promise<Warehouse>; attempts: () => number } {
  let attempts = 0;
  const open = async (): Promise<Warehouse> => {
    const warehouse = await DuckDbWarehouse.open(file);
    return Object.assign(Object.create(warehouse) as Warehouse, {
      loadRaw: async (...args: Parameters<Warehouse['loadRaw']>) => {
        attempts += 1;
        if (attempts <= refusals) throw new WarehouseError(`Loading into raw failed: lock wait timeout (attempt ${attempts})`, { retryable: true });
        return warehouse.loadRaw(...args);
      },
    });
  };
  return { open, attempts: () => attempts };
}

describe('Retries on AWS APIs (moto): a step whose failure may pass is retried by Lambda, and only its last attempt ends the run', () => {
  let moto: MotoServer;
  let pgClient: pg.Client;
  const clients = {} as { dynamodb: DynamoDBClient; eventbridge: EventBridgeClient; glue: GlueClient; s3: S3Client; sqs: SQSClient; secrets: SecretsManagerClient };

  beforeAll(async () => {
    pgClient = new pg.Client({ connectionString: PG_URL });
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.orders (id bigint primary key, amount numeric(12,2))`);
    await pgClient.query(`insert into ${SCHEMA}.orders select g, g * 1.25 from generate_series(1, 500) g`);
    moto = await startMoto({ serial: true });
    clients.dynamodb = new DynamoDBClient(moto.config);
    clients.eventbridge = new EventBridgeClient(moto.config);
    clients.glue = new GlueClient(moto.config);
    clients.s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    clients.sqs = new SQSClient(moto.config);
    clients.secrets = new SecretsManagerClient(moto.config);
    await createStateTables(clients.dynamodb, TABLES);
    await createTables(clients.dynamodb, [idempotencyTableDefinition('floe-retries-idempotency')]);
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await clients.glue.send(new CreateJobCommand({
      Name: JOB, Role: 'arn:aws:iam::123456789012:role/floe-extract',
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
    }));
  });

  afterAll(async () => {
    for (const client of Object.values(clients)) client?.destroy();
    await moto?.stop();
    await pgClient?.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient?.end();
  });

  /** One table's run through the Lambda entries, with a warehouse that refuses its first `refusals` loads. */
  async function runWithRefusals(prefix: string, refusals: number) {
    const { dynamodb, eventbridge, glue, s3, sqs, secrets } = clients;
    const folder = await mkdtemp(join(tmpdir(), `floe-${prefix}-`));
    const secret = await secrets.send(new CreateSecretCommand({
      Name: `floe/${prefix}`,
      SecretString: JSON.stringify({ username: 'postgres', password: 'unused', host: '127.0.0.1', port: 5432, dbname: 'postgres' }),
    }));
    const tables = { tableConfig: `${prefix}-config`, runtime: `${prefix}-runtime`, runs: `${prefix}-runs` };
    await createStateTables(dynamodb, tables);
    const state = new DynamoDbStateStore(dynamodb, tables);
    await state.putTableConfigs([{ source: 'pgsrc', table: `${SCHEMA}.orders`, engine: 'postgres', primaryKey: ['id'], mode: 'full', partitions: 1, lookbackSeconds: 0 }]);
    const bus = `${BUS}-${prefix}`;
    const queues = await choreographyQueues(sqs, eventbridge, bus, JOB, prefix);
    // What the stack's alarm rule does with IngestFailed, into a queue the test reads.
    const alarms = await createQueue(sqs, `${prefix}-ingest-failed`);
    await eventbridge.send(new PutRuleCommand({ Name: `${prefix}-ingest-failed`, EventBusName: bus, EventPattern: JSON.stringify({ source: ['floe.pipeline'], 'detail-type': ['IngestFailed'] }) }));
    await eventbridge.send(new PutTargetsCommand({ Rule: `${prefix}-ingest-failed`, EventBusName: bus, Targets: [{ Id: 'alarms', Arn: alarms.arn }] }));
    const failures = Object.fromEntries(await Promise.all(HANDLER_NAMES.map(async (name) => [name, await createQueue(sqs, `${prefix}-${name}-failures`)] as const))) as Record<HandlerName, TestQueue>;
    const env = {
      FLOE_BUS_NAME: bus, FLOE_RAW_ROOT: `s3://${BUCKET}/${prefix}`,
      FLOE_TABLE_CONFIG_TABLE: tables.tableConfig, FLOE_RUNTIME_TABLE: tables.runtime, FLOE_RUNS_TABLE: tables.runs,
      FLOE_IDEMPOTENCY_TABLE: 'floe-retries-idempotency', FLOE_GLUE_JOB_NAME: JOB, FLOE_GOLD_DIR: join(folder, 'gold'),
      FLOE_SOURCE_SECRETS: JSON.stringify({ pgsrc: secret.ARN }),
      FLOE_FAILURE_QUEUES: JSON.stringify(Object.fromEntries(Object.entries(failures).map(([name, queue]) => [queue.arn, name]))),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const warehouse = refusingLoads(join(folder, 'warehouse.duckdb'), refusals);
    const raw = new S3MirroredRawStorage({ client: s3, root: `s3://${BUCKET}/${prefix}`, mirror: join(folder, 'mirror') });
    const record: HarnessRecord = { delivered: [], jobOutput: [] };
    const harness = {
      aws: moto.config, sqs, glue, eventbridge, jobName: JOB, jobRunsPlayed: new Set<string>(),
      handlers: choreographyHandlers({ env, clients: { dynamodb, eventbridge, glue, s3 }, queues, raw, openWarehouse: warehouse.open }),
      retriesExhausted: { lambda: createRetriesExhaustedLambda(env, { dynamodb, eventbridge }), failures },
    };
    const runId = `r-${prefix}`;
    await eventbridge.send(new PutEventsCommand({ Entries: [{
      EventBusName: bus, Source: 'floe.pipeline', DetailType: 'IngestRequested',
      Detail: JSON.stringify({ runId, source: 'pgsrc', table: `${SCHEMA}.orders`, publishedAt: new Date().toISOString(), requestedBy: 'test' }),
    }] }));
    await runUntilQuiet(harness, record);
    const duckdb = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
    try {
      const staged = await duckdb.query(`select count(*)::int as n, count(distinct id)::int as keys, sum(amount)::varchar as total from staging."pgsrc__${SCHEMA}__orders"`).catch(() => [null]);
      const rawRows = await duckdb.query(`select count(*)::int as n from raw."pgsrc__${SCHEMA}__orders"`).catch(() => [{ n: 0 }]);
      const failed = await drainQueue(sqs, alarms);
      return { run: await state.getRun(runId), table: await state.getTableState('pgsrc', `${SCHEMA}.orders`), staged: staged[0], rawRows: rawRows[0]?.['n'], attempts: warehouse.attempts(), failed };
    } finally {
      await duckdb.close();
    }
  }

  it('a warehouse that refuses once, then loads, ends in one completed run with nothing doubled and no IngestFailed', async () => {
    // Act
    const result = await runWithRefusals('once', 1);

    // Assess: the second attempt loaded; raw holds each row once, staging each key once
    expect(result.attempts).toBe(2);
    expect(result.run?.status).toBe('succeeded');
    expect(result.run?.steps.map((step) => [step.name, step.error === undefined])).toEqual([['start-ingest', true], ['extract', true], ['load-and-merge', true], ['build-gold', true]]);
    expect(result.staged).toEqual({ n: 500, keys: 500, total: '156562.50' });
    expect(result.rawRows).toBe(500);
    expect(result.failed).toEqual([]);
    expect(result.table.activeRun).toBeNull();
  }, 120_000);

  it('a warehouse that refuses every attempt ends the run once, after Lambda’s last attempt, with one IngestFailed naming the error', async () => {
    // Act
    const result = await runWithRefusals('always', Number.POSITIVE_INFINITY);

    // Assess: three attempts, then the run failed at load-and-merge, its lease free and its watermark untouched
    expect(result.attempts).toBe(LAMBDA_ATTEMPTS);
    expect(result.run?.status).toBe('failed');
    expect(result.run?.error).toMatchObject({ name: 'WarehouseError', retryable: true });
    expect(result.run?.error?.message).toMatch(/lock wait timeout \(attempt 3\) \(after 3 attempts; RetriesExhausted\)/);
    expect(result.failed).toHaveLength(1);
    expect(result.table.activeRun).toBeNull();
    expect(result.table.watermarkRunId).toBeNull();
  }, 120_000);
});
