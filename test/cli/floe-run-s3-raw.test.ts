import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';

import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { floeQueryTag } from '../../warehouse/snowflake.js';
import { floeEnvironmentFor, startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { PG_URL } from '../faults/source-table.js';
import { startMoto, type MotoServer } from '../moto.js';
import { runsOnFakesnow } from '../warehouse/snowflake-emulator.js';

const SCHEMA = 'floe_s3_raw_run';
const TABLE = `${SCHEMA}.orders`;

/**
 * `floe run` with `raw: s3://bucket/prefix`, from one machine: the extraction job writes to S3 (a
 * moto server, through boto3's usual settings), the steps read the manifests there, and the
 * warehouse loads the files: Snowflake through the external stage on the raw root (fakesnow,
 * taught to read the bucket as Snowflake's stage does), DuckDB from a copy under the state folder.
 */
describe('floe run with raw on S3 (moto)', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let folder: string;
  const client = new pg.Client({ connectionString: PG_URL });
  const saved = { ...process.env };

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${TABLE} (id bigint primary key, customer text, amount numeric(12,2), updated_at timestamptz(6))`);
    await client.query(`insert into ${TABLE} select g, 'customer ' || g, g * 1.5, timestamptz '2025-11-05 12:00:00+00' + g * interval '1 minute' from generate_series(1, 30) g`);
    moto = await startMoto();
    s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    // What the SDK in floe and boto3 in the job read, as on a machine set up for AWS.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.config.endpoint, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing',
    });
    folder = await mkdtemp(join(tmpdir(), 'floe-s3-raw-'));
  });

  afterAll(async () => {
    process.env = saved;
    s3.destroy();
    await moto.stop();
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
    await rm(folder, { recursive: true, force: true });
  });

  async function project(name: string, warehouse: string, bucket: string): Promise<string> {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const config = join(folder, `${name}.yaml`);
    await writeFile(config, [
      `raw: s3://${bucket}/landing`, `state: ./${name}-state`, `warehouse: ${warehouse}`,
      'sources:', '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${TABLE}`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '',
    ].join('\n'));
    return config;
  }

  async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  async function sourceRows(): Promise<string[]> {
    return (await client.query<{ row: string }>(`select id || '|' || customer || '|' || amount as row from ${TABLE} order by id`)).rows.map((row) => row.row);
  }

  it('on DuckDB: lands the files in the bucket, loads them from a copy under the state folder (gone at the end, with a killed run\'s), then only what changed', async () => {
    // Prepare
    const config = await loadConfig(await project('duck', `duckdb://${join(folder, 'duck.duckdb')}`, 'floe-raw-duck'));
    // The copies a killed run left behind: its process (no such pid) is gone
    await mkdir(join(folder, 'duck-state', 'raw-mirror', '4194305-killed', 'PostgreSQL'), { recursive: true });

    // Act
    const [first] = await runLocally(config);
    await client.query(`update ${TABLE} set customer = 'changed', updated_at = timestamptz '2025-12-31 12:00:00+00' where id = 7`);
    const [second] = await runLocally(config);

    // Assess
    expect(first?.failure).toBeNull();
    expect(first?.run).toMatchObject({ status: 'succeeded', inserted: 30 });
    expect(second?.failure).toBeNull();
    expect(second?.run).toMatchObject({ status: 'succeeded', updated: 1 });
    const parquet = (await keysUnder('floe-raw-duck', `landing/PostgreSQL/pg/${TABLE}/`)).filter((key) => key.endsWith('.parquet'));
    expect(parquet).toHaveLength(2);
    expect(await keysUnder('floe-raw-duck', `landing/_manifests/${first?.runId ?? ''}.json`)).toHaveLength(1);
    expect(await readdir(join(folder, 'duck-state', 'raw-mirror'))).toEqual([]);
    const instance = await DuckDBInstance.create(join(folder, 'duck.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const staged = (await connection.runAndReadAll(`select id || '|' || customer || '|' || amount as row from staging.pg__${SCHEMA}__orders order by id`)).getRowObjectsJS();
    connection.closeSync();
    instance.closeSync();
    expect(staged.map((row) => row['row'])).toEqual(await sourceRows());
  });

  it('refuses before extracting when the bucket does not exist, or no region is set', async () => {
    // Prepare
    const config = await loadConfig(await project('no-bucket', `duckdb://${join(folder, 'no-bucket.duckdb')}`, 'floe-raw-made'));
    const elsewhere = { ...config, raw: 's3://floe-raw-never-made/landing' };

    // Act
    const missing = await runLocally(elsewhere).catch((error: unknown) => error);
    delete process.env['AWS_REGION'];
    delete process.env['AWS_DEFAULT_REGION'];
    const regionless = await runLocally(config).catch((error: unknown) => error).finally(() => Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' }));

    // Assess
    expect(String(missing)).toContain('raw s3://floe-raw-never-made/landing: cannot reach bucket floe-raw-never-made (NotFound: ');
    expect(String(missing)).toContain('the bucket does not exist; nothing was extracted');
    expect(String(regionless)).toContain('set AWS_REGION (or a region in your AWS profile); nothing was extracted');
    expect(await keysUnder('floe-raw-made', '')).toEqual([]);
  });

  describe('on Snowflake (fakesnow)', () => {
    let fakesnow: FakesnowServer;

    beforeAll(async () => {
      fakesnow = await startFakesnow({ s3Endpoint: moto.config.endpoint });
      const session = await SnowflakeSession.open(fakesnow.settings('S3_DB'));
      await session.run({ sql: 'create database if not exists "S3_DB"', params: [] }, 'test');
      await session.close();
      Object.assign(process.env, floeEnvironmentFor(fakesnow));
    });

    afterAll(async () => {
      await fakesnow.stop();
    });

    /** The account as `floe snowflake apply` leaves it for raw `rawUrl`, but for what fakesnow cannot create (the integration itself). */
    async function applied(database: string, rawUrl: string, withIntegration: boolean): Promise<void> {
      const session = await SnowflakeSession.open(fakesnow.settings(database));
      await session.run({ sql: `create database if not exists "${database}"`, params: [] }, 'test');
      const storageIntegration = { name: 'FLOE_S3', roleArn: 'arn:aws:iam::123456789012:role/floe-snowflake' };
      for (const statement of snowflakeAccountDdl({ database, rawUrl, ...(withIntegration ? { storageIntegration } : {}) }, [])) {
        if (runsOnFakesnow(statement.sql)) await session.run({ sql: statement.sql, params: [] }, floeQueryTag('apply'));
      }
      await session.close();
    }

    it('refuses before extracting when the external stage is missing, naming it and `floe snowflake apply`', async () => {
      // Prepare
      const config = await loadConfig(await project('sf-missing', 'snowflake://floe-test/S3_DB?user=floe', 'floe-raw-missing'));

      // Act
      const run = runLocally(config);

      // Assess
      await expect(run).rejects.toThrow('raw is s3://floe-raw-missing/landing, read by Snowflake through the external stage "S3_DB"."FLOE"."RAW_STAGE", which does not exist or is not visible to this role: run `floe snowflake apply`');
      expect(await keysUnder('floe-raw-missing', '')).toEqual([]);
    });

    it('refuses before extracting when the external stage reads another location, naming both', async () => {
      // Prepare: a stage made for another raw root
      await applied('S3_OTHER', 's3://floe-raw-elsewhere/landing', true);
      const config = await loadConfig(await project('sf-other', 'snowflake://floe-test/S3_OTHER?user=floe', 'floe-raw-other'));

      // Act
      const run = runLocally(config);

      // Assess
      await expect(run).rejects.toThrow('raw is s3://floe-raw-other/landing, but the external stage "S3_OTHER"."FLOE"."RAW_STAGE" reads s3://floe-raw-elsewhere/landing/: run `floe snowflake apply`');
      expect(await keysUnder('floe-raw-other', '')).toEqual([]);
    });

    it('refuses before extracting when the external stage has no way into a private bucket', async () => {
      // Prepare: the stage on the right location, made without snowflake.storageRoleArn (no integration)
      await applied('S3_OPEN', 's3://floe-raw-open/landing', false);
      const config = await loadConfig(await project('sf-open', 'snowflake://floe-test/S3_OPEN?user=floe', 'floe-raw-open'));

      // Act
      const run = runLocally(config);

      // Assess
      await expect(run).rejects.toThrow('the external stage "S3_OPEN"."FLOE"."RAW_STAGE" reads s3://floe-raw-open/landing/ with neither a storage integration nor credentials, so Snowflake cannot read a private bucket: set snowflake.storageRoleArn');
      expect(await keysUnder('floe-raw-open', '')).toEqual([]);
    });

    it('extracts to the bucket and COPYs through the external stage, no PUT, then loads only what changed', async () => {
      // Prepare
      const config = await loadConfig(await project('sf', 'snowflake://floe-test/S3_DB?user=floe', 'floe-raw-sf'));
      await applied('S3_DB', config.raw, true);
      const session = await SnowflakeSession.open(fakesnow.settings('S3_DB'));
      await client.query(`update ${TABLE} set customer = 'again', updated_at = timestamptz '2026-01-02 12:00:00+00' where id = 9`);

      // Act
      const [first] = await runLocally(config);
      await client.query(`update ${TABLE} set customer = 'later', updated_at = timestamptz '2026-01-03 12:00:00+00' where id = 11`);
      const [second] = await runLocally(config);

      // Assess
      expect(first?.failure).toBeNull();
      expect(first?.run).toMatchObject({ status: 'succeeded', inserted: 30 });
      expect(second?.failure).toBeNull();
      expect(second?.run).toMatchObject({ status: 'succeeded', updated: 1 });
      const statements = (await fakesnow.statementsSeen()).map((seen) => seen.sql);
      expect(statements.filter((sql) => /^put /i.test(sql))).toEqual([]);
      expect(statements.filter((sql) => /^copy into \S+\s+from @"S3_DB"\."FLOE"\."RAW_STAGE"/is.test(sql))).toHaveLength(2);
      const { rows: staged } = await session.run({ sql: `select "ID" || '|' || "CUSTOMER" || '|' || to_varchar("AMOUNT") as "row" from staging.pg__${SCHEMA}__orders order by "ID"`, params: [] }, 'test');
      expect(staged.map((row) => row['row'])).toEqual(await sourceRows());
      const { rows: files } = await session.run({ sql: `select distinct "_FLOE_FILE" as "file" from raw.pg__${SCHEMA}__orders order by 1`, params: [] }, 'test');
      const landed = (await keysUnder('floe-raw-sf', `landing/PostgreSQL/pg/${TABLE}/`)).filter((key) => key.endsWith('.parquet')).map((key) => key.slice('landing/'.length));
      expect(files.map((row) => row['file'])).toEqual(landed.sort());
      await session.close();
    });
  });
});
