import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';

import { routesFor } from '../../events/index.js';
import { createLambdaHandler as createBuildGoldLambda } from '../../runtime/aws/lambda/build-gold.js';
import { createLambdaHandler as createLoadAndMergeLambda } from '../../runtime/aws/lambda/load-and-merge.js';
import { warehouseFromEnvironment } from '../../runtime/aws/warehouse-from-env.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { floeQueryTag } from '../../warehouse/snowflake.js';
import { createQueue, drainQueue } from '../aws/queues.js';
import { lambdaContext } from '../aws/lambda-harness.js';
import { startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { startMoto, type MotoServer } from '../moto.js';
import { repoRoot } from '../state/helpers.js';
import { runsOnFakesnow } from '../warehouse/snowflake-emulator.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_lambda_snowflake';
const BUS = 'floe-sf';
const BUCKET = 'floe-sf-raw';
const TABLES = { tableConfig: 'floe-sf-table-config', runtime: 'floe-sf-runtime', runs: 'floe-sf-runs' };
const SNOWFLAKE_PASSWORD = 'pw-snowflake-lambda-3Kd8';

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('Lambda entries load-and-merge and build-gold on Snowflake (fakesnow), state and raw on AWS APIs (moto)', () => {
  let moto: MotoServer;
  let fakesnow: FakesnowServer;
  let client: pg.Client;
  const aws: { dynamodb?: DynamoDBClient; eventbridge?: EventBridgeClient; s3?: S3Client; sqs?: SQSClient; secretsmanager?: SecretsManagerClient } = {};

  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.orders (id bigint primary key, customer text, amount numeric(12,2), updated_at timestamptz(6))`);
    await client.query(`insert into ${SCHEMA}.orders select g, 'customer ' || g, g * 1.5, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute' from generate_series(1, 500) g`);
    [moto, fakesnow] = await Promise.all([startMoto({ serial: true }), startFakesnow()]);
    aws.dynamodb = new DynamoDBClient(moto.config);
    aws.eventbridge = new EventBridgeClient(moto.config);
    aws.s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    aws.sqs = new SQSClient(moto.config);
    aws.secretsmanager = new SecretsManagerClient(moto.config);
  });

  afterAll(async () => {
    for (const sdk of Object.values(aws)) sdk?.destroy();
    await Promise.all([moto?.stop(), fakesnow?.stop()]);
    await client?.query(`drop schema if exists ${SCHEMA} cascade`);
    await client?.end();
  });

  it('loads a landed run into Snowflake raw, merges staging equal to the source, and builds gold there', async () => {
    // Prepare: the extraction job's run, in S3 (where the Lambda reads the manifest) and in the
    // folder the emulator's stage reads (fakesnow's stages are local; Snowflake's is the bucket)
    const { dynamodb, eventbridge, s3, sqs, secretsmanager } = aws as Required<typeof aws>;
    const folder = await mkdtemp(join(tmpdir(), 'floe-sf-lambda-'));
    const rawRoot = join(folder, 'raw');
    const runId = 'r-sf-lambda-1';
    execFileSync(join(repoRoot, '.venv', 'bin', 'python'), [join(repoRoot, 'glue', 'extract.py'), '--run-id', runId, '--engine', 'postgres',
      '--database', 'pg', '--connection', PG_URL, '--table', `${SCHEMA}.orders`, '--primary-key', 'id', '--mode', 'incremental',
      '--incremental-column', 'updated_at', '--raw-root', rawRoot], { stdio: 'ignore' });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const file of await filesUnder(rawRoot)) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: relative(rawRoot, file), Body: await readFile(file) }));
    }
    await createStateTables(dynamodb, TABLES);
    await createTables(dynamodb, [idempotencyTableDefinition('floe-sf-idempotency')]);
    const gold = await createQueue(sqs, 'floe-sf-build-gold');
    const other = await createQueue(sqs, 'floe-sf-other');
    await ensureRules(eventbridge, BUS, routesFor(['floe-extract']), {
      'start-ingest': other.arn, 'glue-finished': other.arn, 'load-and-merge': other.arn, 'build-gold': gold.arn, 'check-after-merge': other.arn,
    });
    const state = new DynamoDbStateStore(dynamodb, TABLES);
    const requestedAt = new Date().toISOString();
    await state.startRun({ runId, source: 'pg', table: `${SCHEMA}.orders`, mode: 'incremental', requestedAt });
    // As start-ingest and glue-finished leave a run whose job ended: its job run and manifest recorded
    await state.updateRun(runId, { jobRunId: 'jr_sf_lambda_1', manifestUrl: `s3://${BUCKET}/_manifests/${runId}.json` });
    await state.acquireLease('pg', `${SCHEMA}.orders`, runId, new Date(), 60_000);
    const secret = await secretsmanager.send(new CreateSecretCommand({ Name: 'floe/snowflake', SecretString: JSON.stringify({ password: SNOWFLAKE_PASSWORD }) }));
    // The account as `floe snowflake apply` leaves it, but for what fakesnow cannot create.
    const session = await SnowflakeSession.open(fakesnow.settings('ANALYTICS'));
    for (const statement of snowflakeAccountDdl({ database: 'ANALYTICS', rawUrl: pathToFileURL(rawRoot).href }, [])) {
      if (runsOnFakesnow(statement.sql)) await session.run({ sql: statement.sql, params: [] }, floeQueryTag('apply'));
    }
    const goldDir = join(folder, 'gold');
    await mkdir(goldDir);
    await writeFile(join(goldDir, 'order_totals.sql'), `select count(*) as orders, sum(amount) as amount_total from staging.pg__${SCHEMA}__orders`);
    const endpoint = fakesnow.settings('ANALYTICS').endpoint!;
    const env = {
      FLOE_BUS_NAME: BUS, FLOE_RAW_ROOT: `s3://${BUCKET}`, FLOE_GOLD_DIR: goldDir,
      FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime, FLOE_RUNS_TABLE: TABLES.runs,
      FLOE_IDEMPOTENCY_TABLE: 'floe-sf-idempotency', POWERTOOLS_LOG_LEVEL: 'SILENT',
      FLOE_SNOWFLAKE_ACCOUNT: 'floe-test', FLOE_SNOWFLAKE_USER: 'FLOE', FLOE_SNOWFLAKE_DATABASE: 'ANALYTICS',
      FLOE_SNOWFLAKE_SECRET_ARN: secret.ARN!, FLOE_SNOWFLAKE_ENDPOINT: `http://${endpoint.host}:${endpoint.port}`,
    };
    // As deployed: the production COPY (INCLUDE_METADATA, LOAD_UNCERTAIN_FILES) through the external stage.
    const openWarehouse = warehouseFromEnvironment(env, secretsmanager);
    const loadAndMerge = createLoadAndMergeLambda(env, { dynamodb, eventbridge, s3, secretsmanager, openWarehouse });
    const buildGold = createBuildGoldLambda(env, { dynamodb, eventbridge, secretsmanager, openWarehouse });
    const manifest = JSON.parse(await readFile(join(rawRoot, '_manifests', `${runId}.json`), 'utf8')) as { totalRows: number; newWatermark: string; files: unknown[] };
    const rawLanded = {
      version: '0', id: 'evt-raw-landed-1', 'detail-type': 'RawLanded', source: 'floe.pipeline', account: '123456789012',
      time: new Date().toISOString(), region: 'us-east-1', resources: [],
      detail: {
        runId, source: 'pg', table: `${SCHEMA}.orders`, publishedAt: new Date().toISOString(), manifestUrl: `s3://${BUCKET}/_manifests/${runId}.json`,
        mode: 'incremental', totalRows: manifest.totalRows, fileCount: manifest.files.length, newWatermark: manifest.newWatermark, previousWatermark: null,
      },
    };

    // Act: RawLanded to load-and-merge; the StageMerged it published, as the rule delivers it, to build-gold
    await loadAndMerge(rawLanded, lambdaContext('floe-load-and-merge'));
    await loadAndMerge(structuredClone(rawLanded), lambdaContext('floe-load-and-merge'));
    const [stageMerged] = await drainQueue(sqs, gold);
    await buildGold({ account: '123456789012', ...(stageMerged as object) }, lambdaContext('floe-build-gold'));

    // Assess: raw holds the run once, staging equals the source, gold is built, the run succeeded
    const check = await SnowflakeSession.open(fakesnow.settings('ANALYTICS'));
    const tag = floeQueryTag('test');
    const { rows: rawRows } = await check.run({ sql: `select count(*) as "n" from "RAW"."PG__${SCHEMA.toUpperCase()}__ORDERS"`, params: [] }, tag);
    const { rows: staged } = await check.run({
      sql: `select "ID" || '|' || "CUSTOMER" || '|' || to_varchar("AMOUNT") as "row" from "STAGING"."PG__${SCHEMA.toUpperCase()}__ORDERS" order by "ID"`,
      params: [],
    }, tag);
    const source = await client.query(`select id || '|' || customer || '|' || amount as row from ${SCHEMA}.orders order by id`);
    const { rows: totals } = await check.run({ sql: 'select "ORDERS" as "orders", to_varchar("AMOUNT_TOTAL") as "total" from "GOLD"."ORDER_TOTALS"', params: [] }, tag);
    await check.close();
    await session.close();
    expect(Number(rawRows[0]?.['n'])).toBe(500);
    expect(staged.map((row) => String(row['row']))).toEqual((source.rows as { row: string }[]).map((row) => row.row));
    expect(totals.map((row) => [Number(row['orders']), Number(row['total'])])).toEqual([[500, 187875]]);
    expect(await state.getRun(runId)).toMatchObject({ status: 'succeeded', inserted: 500 });
    expect((await state.getTableState('pg', `${SCHEMA}.orders`)).watermark).toBe(manifest.newWatermark);
  });
});
