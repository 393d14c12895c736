import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { createLambdaHandler as createRequestIngestLambda } from '../../runtime/aws/lambda/request-ingest.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { S3MirroredRawStorage } from '../../storage/s3-mirror.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { startMoto, type MotoServer } from '../moto.js';
import { choreographyHandlers, choreographyQueues, lambdaContext, runUntilQuiet, type HarnessOptions, type HarnessRecord } from './lambda-harness.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_aws_e2e';
/** PostgreSQL trusts loopback, so any password connects; the test only checks it never leaks. */
const PG_PASSWORD = 'pw-floe-aws-e2e-7Qx9';
/** The MariaDB user's real password: the job must take it from the secret to connect at all. */
const MYSQL_PASSWORD = 'pw-floe-aws-e2e-Mq4z';
const MYSQL_USER = 'floe_aws_e2e';
const BUS = 'floe-e2e';
const BUCKET = 'floe-e2e-raw';
const JOB = 'floe-e2e-extract';
const TABLES = { tableConfig: 'floe-e2e-table-config', runtime: 'floe-e2e-runtime', runs: 'floe-e2e-runs' };
const BATCH = '01bf0e2e-0000-4000-8000-00000000e2e0';

function snowflakeCall(rows: unknown[] | null, batchId = BATCH): object {
  // What API Gateway's proxy integration hands the function for one external-function batch:
  // a POST with the rows, or (rows null) Snowflake's GET polling it, same headers and no body.
  // Each batch here is a query of its own (rows of one query share their runs).
  return {
    resource: '/ingest', path: '/ingest', httpMethod: rows === null ? 'GET' : 'POST', isBase64Encoded: false,
    headers: {
      'Content-Type': 'application/json',
      'sf-external-function-format': 'json',
      'sf-external-function-format-version': '1.0',
      'sf-external-function-query-batch-id': batchId,
      'sf-external-function-current-query-id': `query-of-${batchId}`,
    },
    body: rows === null ? null : JSON.stringify({ data: rows }),
  };
}

async function pgRows(client: pg.Client): Promise<string[]> {
  const result = await client.query(
    `select id || '|' || customer || '|' || amount || '|' || to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as row from ${SCHEMA}.orders order by id`,
  );
  return result.rows.map((r: { row: string }) => r.row);
}

async function mysqlRows(connection: mysql.Connection): Promise<string[]> {
  const [rows] = await connection.query(
    `select concat(id, '|', name, '|', price, '|', date_format(updated_at, '%Y-%m-%d %H:%i:%s.%f')) as \`row\` from ${SCHEMA}.items order by id`,
  );
  return (rows as { row: string }[]).map((r) => r.row);
}

describe('The choreography on AWS APIs (moto): Snowflake call → Glue → S3 → warehouse → gold', () => {
  let moto: MotoServer;
  let folder: string;
  let warehouse: DuckDbWarehouse;
  let pgClient: pg.Client;
  let mysqlConnection: mysql.Connection;
  const clients: { dynamodb?: DynamoDBClient; eventbridge?: EventBridgeClient; glue?: GlueClient; s3?: S3Client; sqs?: SQSClient; secrets?: SecretsManagerClient } = {};

  beforeAll(async () => {
    pgClient = new pg.Client({ connectionString: PG_URL });
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.orders (id bigint primary key, customer text, amount numeric(12,2), updated_at timestamptz(6))`);
    await pgClient.query(`insert into ${SCHEMA}.orders
      select g, 'customer ' || g, g * 1.25, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 3000) g`);
    mysqlConnection = await mysql.createConnection(MYSQL_URL);
    await mysqlConnection.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection.query(`create database ${SCHEMA} character set utf8mb4`);
    await mysqlConnection.query(`create table ${SCHEMA}.items (id int primary key, name varchar(50), price decimal(10,2), updated_at datetime(6))`);
    await mysqlConnection.query(`drop user if exists '${MYSQL_USER}'@'127.0.0.1'`);
    await mysqlConnection.query(`create user '${MYSQL_USER}'@'127.0.0.1' identified by '${MYSQL_PASSWORD}'`);
    await mysqlConnection.query(`grant select on ${SCHEMA}.* to '${MYSQL_USER}'@'127.0.0.1'`);
    await mysqlConnection.query(`insert into ${SCHEMA}.items values (1, 'tea 🍵', 3.50, '2025-01-01 10:00:00.000001'), (2, 'café', 2.10, '2025-01-01 10:00:01'), (3, 'scone', 4.00, '2025-01-01 10:00:02')`);

    moto = await startMoto({ serial: true });
    clients.dynamodb = new DynamoDBClient(moto.config);
    clients.eventbridge = new EventBridgeClient(moto.config);
    clients.glue = new GlueClient(moto.config);
    clients.s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    clients.sqs = new SQSClient(moto.config);
    clients.secrets = new SecretsManagerClient(moto.config);
    folder = await mkdtemp(join(tmpdir(), 'floe-aws-e2e-'));
    warehouse = await DuckDbWarehouse.open(join(folder, 'warehouse.duckdb'));
  });

  afterAll(async () => {
    await warehouse?.close();
    for (const client of Object.values(clients)) client?.destroy();
    await moto?.stop();
    await pgClient?.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient?.end();
    await mysqlConnection?.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection?.query(`drop user if exists '${MYSQL_USER}'@'127.0.0.1'`);
    await mysqlConnection?.end();
  });

  it('lands PostgreSQL and MariaDB tables in staging equal to the source, answers Snowflake 202 then 200 to its poll, and leaks no password', async () => {
    // Prepare: what the stack creates, on moto
    const { dynamodb, eventbridge, glue, s3, sqs, secrets } = clients as Required<typeof clients>;
    await createStateTables(dynamodb, TABLES);
    await createTables(dynamodb, [idempotencyTableDefinition('floe-e2e-idempotency')]);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await glue.send(new CreateJobCommand({
      Name: JOB, Role: 'arn:aws:iam::123456789012:role/floe-extract',
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
      ExecutionProperty: { MaxConcurrentRuns: 10 },
    }));
    const pgSecret = await secrets.send(new CreateSecretCommand({
      Name: 'floe/pgsrc',
      SecretString: JSON.stringify({ engine: 'postgres', username: 'postgres', password: PG_PASSWORD, host: '127.0.0.1', port: 5432, dbname: 'postgres' }),
    }));
    const mysqlSecret = await secrets.send(new CreateSecretCommand({
      Name: 'floe/mysrc', SecretString: `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:3306/${SCHEMA}`,
    }));
    const queues = await choreographyQueues(sqs, eventbridge, BUS, JOB, 'floe-e2e');
    const state = new DynamoDbStateStore(dynamodb, TABLES);
    await state.putTableConfigs([
      { source: 'pgsrc', table: `${SCHEMA}.orders`, engine: 'postgres', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at', partitionColumn: 'id', partitions: 2, lookbackSeconds: 0 },
      { source: 'mysrc', table: 'items', engine: 'mysql', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0 },
    ]);
    const goldDir = join(folder, 'gold');
    await mkdir(goldDir);
    await writeFile(join(goldDir, 'order_totals.sql'), `select count(*) as orders, sum(amount) as amount_total from staging.pgsrc__${SCHEMA}__orders`);

    // The Lambda entries, with the environment the stack gives them
    const env = {
      FLOE_BUS_NAME: BUS, FLOE_RAW_ROOT: `s3://${BUCKET}`,
      FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime, FLOE_RUNS_TABLE: TABLES.runs,
      FLOE_IDEMPOTENCY_TABLE: 'floe-e2e-idempotency', FLOE_GLUE_JOB_NAME: JOB, FLOE_GOLD_DIR: goldDir,
      FLOE_SOURCE_SECRETS: JSON.stringify({ pgsrc: pgSecret.ARN, mysrc: mysqlSecret.ARN }),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    // DuckDB reads local Parquet only, so load-and-merge reads the raw files through a local mirror of the bucket.
    const openWarehouse = async (): Promise<DuckDbWarehouse> => warehouse;
    const raw = new S3MirroredRawStorage({ client: s3, root: `s3://${BUCKET}`, mirror: join(folder, 'mirror') });
    const requestIngest = createRequestIngestLambda(env, { dynamodb, eventbridge });
    const harness: HarnessOptions = {
      aws: moto.config, sqs, glue, eventbridge, jobName: JOB, jobRunsPlayed: new Set(),
      handlers: choreographyHandlers({ env, clients: { dynamodb, eventbridge, glue, s3 }, queues, raw, openWarehouse }),
    };
    const record: HarnessRecord = { delivered: [], jobOutput: [] };
    const rows = [[0, 'pgsrc', [`${SCHEMA}.orders`], { wait: true }], [1, 'mysrc', ['items'], { wait: true }]];

    // Act: Snowflake calls (and retries the call), the choreography runs, Snowflake polls; every
    // log line the Lambdas write is kept for the secret scan
    const logs: string[] = [];
    const { jest } = import.meta;
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => logs.push(String(chunk)) > 0);
    let first, retried, polled, second;
    try {
      first = await requestIngest(snowflakeCall(rows), lambdaContext('floe-request-ingest'));
      retried = await requestIngest(snowflakeCall(rows), lambdaContext('floe-request-ingest'));
      await runUntilQuiet(harness, record);
      polled = await requestIngest(snowflakeCall(null), lambdaContext('floe-request-ingest'));

      // The sources change; Snowflake asks again (a new batch), incrementally
      await pgClient.query(`update ${SCHEMA}.orders set amount = amount + 1, updated_at = timestamptz '2025-03-01 00:00:00+00' where id % 500 = 0`);
      await pgClient.query(`insert into ${SCHEMA}.orders values (3001, 'late customer', 9.99, timestamptz '2025-03-01 00:00:00+00')`);
      await mysqlConnection.query(`update ${SCHEMA}.items set price = 2.20, updated_at = '2025-03-01 09:00:00' where id = 2`);
      await requestIngest(snowflakeCall(rows, 'second-batch'), lambdaContext('floe-request-ingest'));
      await runUntilQuiet(harness, record);
      second = await requestIngest(snowflakeCall(null, 'second-batch'), lambdaContext('floe-request-ingest'));
    } finally {
      stdout.mockRestore();
    }

    // Assess: 202 while running (the retry published nothing: one start-ingest per table and batch), then 200 with both runs succeeded
    expect(first.statusCode).toBe(202);
    expect(retried.statusCode).toBe(202);
    expect(record.delivered.filter((d) => d.handler === 'start-ingest')).toHaveLength(4);
    expect(polled.statusCode).toBe(200);
    const outcomes = (JSON.parse(polled.body) as { data: [number, { runs: { status: string; rowsExtracted: number }[] }][] }).data;
    expect(outcomes.map(([row, result]) => [row, result.runs.map((r) => [r.status, r.rowsExtracted])])).toEqual([
      [0, [['succeeded', 3000]]],
      [1, [['succeeded', 3]]],
    ]);
    expect(record.delivered.map((d) => d.handler).sort()).toEqual(
      ['build-gold', 'check-after-merge', 'glue-finished', 'load-and-merge', 'start-ingest'].flatMap((handler) => Array(4).fill(handler)),
    );
    expect(record.jobOutput).toHaveLength(4);

    // Assess: the second batch read only what changed past the committed watermarks
    expect(second.statusCode).toBe(200);
    const secondOutcomes = (JSON.parse(second.body) as { data: [number, { runs: { status: string; rowsExtracted: number }[] }][] }).data;
    expect(secondOutcomes.map(([, result]) => result.runs.map((r) => [r.status, r.rowsExtracted]))).toEqual([[['succeeded', 7]], [['succeeded', 1]]]);

    // Assess: staging equals the source, row by row as text
    const pgStaged = await warehouse.query(
      `select id || '|' || customer || '|' || amount || '|' || strftime(updated_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') as row from staging."pgsrc__${SCHEMA}__orders" order by id`,
    );
    expect(pgStaged.map((r) => String(r['row']))).toEqual(await pgRows(pgClient));
    const mysqlStaged = await warehouse.query(
      `select id || '|' || name || '|' || price || '|' || strftime(updated_at, '%Y-%m-%d %H:%M:%S.%f') as row from staging."mysrc__items" order by id`,
    );
    expect(mysqlStaged.map((r) => String(r['row']))).toEqual(await mysqlRows(mysqlConnection));
    expect(await warehouse.query('select orders::int as orders, amount_total::varchar as total from gold.order_totals')).toEqual([{ orders: 3001, total: '5626890.99' }]);

    // Assess: the watermark is the source's own, and the password appears in no event, job output, S3 object or state item
    expect((await state.getTableState('mysrc', 'items')).watermark).toBe('2025-03-01 09:00:00.000000');
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? [];
    expect(logs.some((line) => line.includes('"published RawLanded"'))).toBe(true);
    const texts = [JSON.stringify(record.delivered), ...record.jobOutput, ...logs];
    for (const object of objects.filter((o) => !o.Key?.endsWith('.parquet'))) {
      const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.Key }));
      texts.push(await body.Body!.transformToString());
    }
    for (const table of [...Object.values(TABLES), 'floe-e2e-idempotency']) {
      texts.push(JSON.stringify((await dynamodb.send(new ScanCommand({ TableName: table }))).Items));
    }
    expect(objects.some((o) => o.Key?.startsWith('_logs/'))).toBe(true);
    expect(texts.filter((text) => text.includes(PG_PASSWORD) || text.includes(MYSQL_PASSWORD))).toEqual([]);
  });
});
