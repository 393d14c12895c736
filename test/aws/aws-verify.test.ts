import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteRuleCommand, EventBridgeClient, ListRulesCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { formatVerifyLine, summary, verifyExitCode, type VerifyLine } from '../../cli/verify-line.js';
import { awsCommand, verifyAws, type AwsVerifyClients } from '../../cli/aws-verify.js';
import { checkSnowflake, openIngestCall } from '../../cli/aws-verify-snowflake.js';
import { ConfigError, loadConfig, toTableConfigs, type FloeConfig } from '../../config/index.js';
import { DynamoDbStateStore, stateTableNamesFor } from '../../state/dynamodb.js';
import { startFakesnow } from '../fakesnow.js';
import { startMoto, type MotoServer } from '../moto.js';
import { repoRoot } from '../state/helpers.js';
import { synthFloeStack } from '../infra/helpers.js';
import { playGlueJobRuns, type PlayedRun } from './glue-probe-harness.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/mysql';
const SCHEMA = 'floe_aws_verify';
/** PostgreSQL trusts loopback, so any password connects; the test checks it is never printed. */
const PG_PASSWORD = 'pw-aws-verify-Pg7x';
/** The MariaDB user's real password: the probe must take it from the secret to log in. */
const MYSQL_PASSWORD = 'pw-aws-verify-My3q';
const MYSQL_USER = 'floe_aws_verify';
const STACK = 'Floe';

interface Rehearsal { status: string; outputs: Record<string, string> }

/** The check names and outcomes, in order: what a person reads down the left of the report. */
const outcomes = (lines: readonly VerifyLine[]) => lines.map((line) => `${line.status} ${line.check}`);

describe('floe aws verify: a stack created by moto\'s CloudFormation from the synthesized template', () => {
  let moto: MotoServer;
  let work: string;
  let pgClient: pg.Client;
  let mysqlConnection: mysql.Connection;
  let clients: AwsVerifyClients;
  let secrets: SecretsManagerClient;
  let played: Map<string, PlayedRun>;
  let config: FloeConfig;
  let configFile: string;
  let pgSecretArn: string;
  let outputs: Record<string, string>;

  const verify = async () => {
    const printed: string[] = [];
    const progress: string[] = [];
    const lines = await verifyAws({
      config, configFile, stackName: STACK, clients,
      wait: { timeoutMs: 120_000, pollMs: 200 },
      openIngest: () => Promise.reject(new Error('no snowflake section: FLOE_INGEST is not called')),
      write: (line) => printed.push(line),
      progress: (line) => progress.push(line),
    });
    return { lines, printed, progress };
  };

  beforeAll(async () => {
    // The sources: a PostgreSQL table, and a MariaDB table its own user (with a password) may read
    pgClient = new pg.Client({ connectionString: PG_URL });
    await pgClient.connect();
    await pgClient.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await pgClient.query(`create table ${SCHEMA}.orders (id bigint primary key, amount numeric(12,2), updated_at timestamptz)`);
    await pgClient.query(`insert into ${SCHEMA}.orders values (1, 1.25, now())`);
    mysqlConnection = await mysql.createConnection(MYSQL_URL);
    await mysqlConnection.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection.query(`create database ${SCHEMA}`);
    await mysqlConnection.query(`create table ${SCHEMA}.items (id int primary key, name varchar(50))`);
    await mysqlConnection.query(`drop user if exists '${MYSQL_USER}'@'127.0.0.1'`);
    await mysqlConnection.query(`create user '${MYSQL_USER}'@'127.0.0.1' identified by '${MYSQL_PASSWORD}'`);
    await mysqlConnection.query(`grant select on ${SCHEMA}.* to '${MYSQL_USER}'@'127.0.0.1'`);

    // The account: the sources' secrets, then the stack made from them, as the README's deploy does
    moto = await startMoto();
    work = mkdtempSync(join(tmpdir(), 'floe-aws-verify-'));
    secrets = new SecretsManagerClient(moto.config);
    const pgSecret = await secrets.send(new CreateSecretCommand({
      Name: 'floe/pgsrc',
      SecretString: JSON.stringify({ engine: 'postgres', username: 'postgres', password: PG_PASSWORD, host: '127.0.0.1', port: 5432, dbname: 'postgres' }),
    }));
    const mysqlSecret = await secrets.send(new CreateSecretCommand({ Name: 'floe/mysrc', SecretString: `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:3306/${SCHEMA}` }));
    pgSecretArn = pgSecret.ARN!;
    const { template } = synthFloeStack({ stackName: STACK, sourceSecrets: { pgsrc: pgSecret.ARN, mysrc: mysqlSecret.ARN } });
    writeFileSync(join(work, 'template.json'), JSON.stringify(template.toJSON()));
    writeFileSync(join(work, 'parameters.json'), '{}');
    const rehearsal = JSON.parse(execFileSync(join(repoRoot, '.venv', 'bin', 'python'),
      [join(repoRoot, 'test', 'infra', 'rehearse_deploy.py'), moto.config.endpoint, join(work, 'template.json'), join(work, 'parameters.json')], { encoding: 'utf8' })) as Rehearsal;
    expect(rehearsal.status).toBe('CREATE_COMPLETE');
    outputs = rehearsal.outputs;
    // moto's CloudFormation skips AWS::Glue::Job (test/infra/deploy-rehearsal.test.ts): made as the template has it
    const glue = new GlueClient(moto.config);
    await glue.send(new CreateJobCommand({
      Name: outputs['GlueJobName'], Role: 'arn:aws:iam::123456789012:role/floe-extract',
      Command: { Name: 'pythonshell', ScriptLocation: 's3://cdk-assets/extract.py', PythonVersion: '3.9' }, ExecutionProperty: { MaxConcurrentRuns: 10 },
    }));
    played = playGlueJobRuns(glue, moto.config);
    clients = {
      cloudformation: new CloudFormationClient(moto.config), dynamodb: new DynamoDBClient(moto.config), eventbridge: new EventBridgeClient(moto.config),
      glue, s3: new S3Client({ ...moto.config, forcePathStyle: true }),
    };

    // The user's config, pointed at the stack as the README says, and pushed
    configFile = join(work, 'floe.config.yaml');
    writeFileSync(configFile, [
      `state: dynamodb://${STACK}`,
      `raw: ${outputs['RawRoot']}`,
      'sources:',
      '  - name: pgsrc', '    engine: postgres', `    connection: secretsmanager:${pgSecret.ARN}`, '    tables:',
      `      - name: ${SCHEMA}.orders`, '        primaryKey: [id]', '        mode: incremental', '        incrementalColumn: updated_at',
      '  - name: mysrc', '    engine: mysql', `    connection: secretsmanager:${mysqlSecret.ARN}`, '    tables:',
      '      - name: items', '        primaryKey: [id]', '        mode: full',
    ].join('\n'));
    config = await loadConfig(configFile, { ignoreConnections: true });
    await new DynamoDbStateStore(clients.dynamodb, stateTableNamesFor(STACK)).putTableConfigs(toTableConfigs(config));
  }, 240_000);

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    secrets?.destroy();
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    await pgClient?.query(`drop schema if exists ${SCHEMA} cascade`);
    await pgClient?.end();
    await mysqlConnection?.query(`drop database if exists ${SCHEMA}`);
    await mysqlConnection?.query(`drop user if exists '${MYSQL_USER}'@'127.0.0.1'`);
    await mysqlConnection?.end();
  });

  it('says ok to every check of a good deployment, each probe step with what it did, and skips Snowflake without a section', async () => {
    // Act
    const { lines, printed, progress } = await verify();

    // Assess
    const bus = `${STACK}-events`;
    expect(outcomes(lines)).toEqual([
      `ok stack ${STACK}: status and outputs`,
      `ok ${configFile}: state`,
      `ok ${configFile}: raw`,
      `ok table config in DynamoDB table ${STACK}-table-config`,
      'ok source secrets (context floe:sourceSecrets)',
      `ok rule IngestRequested -> start-ingest on bus ${bus}`,
      `ok rule Glue Job State Change -> glue-finished on bus ${bus}`,
      `ok rule RawLanded -> load-and-merge on bus ${bus}`,
      `ok rule StageMerged -> build-gold on bus ${bus}`,
      `ok rule StageMerged -> check-after-merge on bus ${bus}`,
      `ok rule forwarding the job's Glue state changes from the default bus to ${bus}`,
      `ok probe pgsrc (${SCHEMA}.orders) secret`,
      `ok probe pgsrc (${SCHEMA}.orders) source`,
      `ok probe pgsrc (${SCHEMA}.orders) raw bucket`,
      'ok probe mysrc (items) secret',
      'ok probe mysrc (items) source',
      'ok probe mysrc (items) raw bucket',
      "skipped Snowflake's API integration: FLOE_INGEST round trip",
    ]);
    expect(printed).toEqual(lines.map(formatVerifyLine));
    expect(printed.find((line) => line.includes('pgsrc') && line.includes(' source:'))).toMatch(/connected; floe_aws_verify\.orders has 3 columns; its SELECT ran \(0 rows asked for and read\); COPY rows arrive (in binary and go into Arrow through the C extension|as CSV through the Python loop: .*)$/);
    expect(printed.at(-1)).toBe(`skipped Snowflake's API integration: FLOE_INGEST round trip: no snowflake section in ${configFile}`);
    expect(summary(lines)).toBe('18 checks: 17 ok, 0 FAIL, 1 skipped');
    expect(verifyExitCode(lines)).toBe(0);
    // The runs got start-ingest's arguments for the table, and --probe; the user saw them awaited
    const args = [...played.values()].map((run) => run.arguments);
    expect(args).toEqual([
      expect.objectContaining({ '--probe': 'true', '--engine': 'postgres', '--database': 'pgsrc', '--table': `${SCHEMA}.orders`, '--mode': 'incremental', '--incremental-column': 'updated_at', '--connection': `secretsmanager:${pgSecretArn}`, '--raw-root': outputs['RawRoot'] }),
      expect.objectContaining({ '--probe': 'true', '--engine': 'mysql', '--table': 'items', '--mode': 'full' }),
    ]);
    expect(progress[0]).toMatch(/^waiting for 2 probe run\(s\) of job Floe-extract \(\d+ s of at most 120 s\): pgsrc RUNNING, mysrc RUNNING$/);
    // Never a password or a connection URL
    const everything = [...printed, ...progress].join('\n');
    expect(everything).not.toMatch(new RegExp(`${PG_PASSWORD}|${MYSQL_PASSWORD}|postgres(ql)?://|mysql://`));
  }, 180_000);

  it('fails a missing rule, a secret at the wrong port or with the wrong password and a table config not pushed, saying what to fix and carrying the platform\'s words', async () => {
    // Prepare: four ways a deployment goes wrong
    const bus = `${STACK}-events`;
    const { Rules = [] } = await clients.eventbridge.send(new ListRulesCommand({ EventBusName: bus }));
    const loadAndMerge = Rules.find((rule) => rule.EventPattern?.includes('RawLanded'))!;
    await clients.eventbridge.send(new RemoveTargetsCommand({ Rule: loadAndMerge.Name, EventBusName: bus, Ids: ['Target0'] }));
    await clients.eventbridge.send(new DeleteRuleCommand({ Name: loadAndMerge.Name, EventBusName: bus }));
    await secrets.send(new PutSecretValueCommand({
      SecretId: pgSecretArn,
      SecretString: JSON.stringify({ engine: 'postgres', username: 'postgres', password: PG_PASSWORD, host: '127.0.0.1', port: 1, dbname: 'postgres' }),
    }));
    await secrets.send(new PutSecretValueCommand({ SecretId: 'floe/mysrc', SecretString: `mysql://${MYSQL_USER}:not-${MYSQL_PASSWORD}@127.0.0.1:3306/${SCHEMA}` }));
    const [orders, items] = toTableConfigs(config);
    await new DynamoDbStateStore(clients.dynamodb, stateTableNamesFor(STACK)).putTableConfigs([{ ...items!, mode: 'incremental', incrementalColumn: 'id' }]);

    // Act
    const { lines, printed } = await verify();

    // Assess: the rest still passes
    const failed = lines.filter((line) => line.status === 'FAIL');
    expect(failed.map((line) => line.check)).toEqual([
      `table config in DynamoDB table ${STACK}-table-config`,
      `rule RawLanded -> load-and-merge on bus ${bus}`,
      `probe pgsrc (${orders!.table}) source`,
      'probe mysrc (items) source',
    ]);
    expect(lines.filter((line) => line.status === 'ok')).toHaveLength(13);
    const line = (check: string) => printed.find((text) => text.startsWith(`FAIL    ${check}`));
    expect(line(`table config in DynamoDB table ${STACK}-table-config`)).toBe(
      `FAIL    table config in DynamoDB table ${STACK}-table-config: differs from ${configFile}: mysrc/items: incrementalColumn is "id" there, unset in the file, mode is "incremental" there, "full" in the file. Fix: push the file: floe push --config ${configFile}`,
    );
    expect(line(`rule RawLanded -> load-and-merge on bus ${bus}`)).toBe(
      `FAIL    rule RawLanded -> load-and-merge on bus ${bus}: no rule with the routing table's pattern {"source":["floe.pipeline"],"detail-type":["RawLanded"]}. ` +
      "Fix: deploy the stack again from the repository root (npx cdk deploy, with the README's context and parameters); it makes the rule from events/routes.ts",
    );
    // The driver's own words, with the address as the secret gave it and no password
    const source = failed[2]!;
    expect(source.fix).toContain("its security group must allow the job's security group on the database's port (context floe:network, sources.pgsrc)");
    expect(source.said?.by).toBe('the job');
    expect(source.said?.text).toMatch(/^SourceUnavailableError: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/postgres: .*Connection refused/);
    expect(line(`probe pgsrc (${orders!.table}) source`)).toMatch(/^FAIL    probe pgsrc \(floe_aws_verify\.orders\) source: failed\. Fix: .*\. The job said: SourceUnavailableError: cannot connect to postgres 127\.0\.0\.1:1\/postgres \(user postgres\): .*Connection refused Is the server running/);
    const login = failed[3]!;
    expect(login.fix).toMatch(/^the database answered and refused the job: the secret's username, password and dbname/);
    expect(login.said?.text).toMatch(/^SourceRefusedError: .*Access denied for user 'floe_aws_verify'/);
    expect(summary(lines)).toBe('18 checks: 13 ok, 4 FAIL, 1 skipped');
    expect(verifyExitCode(lines)).toBe(1);
    const seen = [...printed, ...[...played.values()].map((run) => run.output)].join('\n');
    for (const password of [PG_PASSWORD, MYSQL_PASSWORD]) expect(seen).not.toContain(password);
  }, 180_000);
  it('stops at a stack it cannot describe, with CloudFormation\'s words and where to look', async () => {
    // Act
    const printed: string[] = [];
    const lines = await verifyAws({
      config, configFile, stackName: 'NoSuchStack', clients, wait: { timeoutMs: 1_000, pollMs: 100 },
      openIngest: () => Promise.reject(new Error('not reached')), write: (line) => printed.push(line), progress: () => undefined,
    });

    // Assess
    expect(printed).toEqual([expect.stringMatching(
      /^FAIL {4}stack NoSuchStack: status and outputs: CloudFormation could not describe it in us-east-1\. Fix: pass --stack NAME .*\. CloudFormation said: ValidationError: Stack with id NoSuchStack does not exist$/,
    )]);
    expect(verifyExitCode(lines)).toBe(1);
  });

  it("compares the snowflake section with the stack's outputs and reports FLOE_INGEST's failure in Snowflake's words", async () => {
    // Prepare: a section naming another API role than the stack's, and an account (fakesnow) without FLOE_INGEST
    const fakesnow = await startFakesnow();
    try {
      const file = join(work, 'snowflake.config.yaml');
      writeFileSync(file, [
        `state: dynamodb://${STACK}`, `raw: ${outputs['RawRoot']}`, 'warehouse: snowflake://floe-test/ANALYTICS?user=floe',
        'snowflake:', `  ingestUrl: ${outputs['IngestUrl']}`, '  apiRoleArn: arn:aws:iam::123456789012:role/another-role',
        `  storageRoleArn: ${outputs['SnowflakeStorageRoleArn']}`,
        'sources:', '  - name: pgsrc', '    engine: postgres', `    connection: secretsmanager:${pgSecretArn}`, '    tables:', '      - name: t', '        primaryKey: [id]',
      ].join('\n'));
      const withSnowflake = await loadConfig(file, { ignoreConnections: true });
      const endpoint = fakesnow.settings('ANALYTICS').endpoint!;
      const env = { FLOE_SNOWFLAKE_ENDPOINT: `http://${endpoint.host}:${endpoint.port}`, FLOE_SNOWFLAKE_PASSWORD: 'fakesnow-accepts-any' };

      // Act
      const lines = await checkSnowflake(withSnowflake, file, outputs, openIngestCall(env));

      // Assess
      expect(lines.map(formatVerifyLine)).toEqual([
        `FAIL    ${file}: snowflake section: snowflake.apiRoleArn is not the stack's SnowflakeRoleArn. Fix: set snowflake.apiRoleArn: ${outputs['SnowflakeRoleArn']}; then floe snowflake apply --config ${file}`,
        expect.stringMatching(/^FAIL {4}Snowflake's API integration: FLOE_INGEST round trip: the call failed\. Fix: run floe snowflake apply .* SnowflakeExternalId\. Snowflake said: .*floe_ingest/i),
      ]);
      const call = (await fakesnow.statementsSeen()).find((statement) => /floe_ingest/i.test(statement.sql));
      expect(call?.sql).toMatch(/^select "FLOE"\."FLOE_INGEST"\(/);
    } finally {
      await fakesnow.stop();
    }
  }, 60_000);

  it('refuses to guess the stack when the config keeps its state in a folder', async () => {
    // Prepare
    const file = join(work, 'local.config.yaml');
    writeFileSync(file, ['state: ./state', 'raw: ./raw', 'sources:', '  - name: pgsrc', '    engine: postgres', '    connection: postgresql://postgres@127.0.0.1/postgres',
      '    tables:', '      - name: t', '        primaryKey: [id]'].join('\n'));

    // Act, Assess: a usage error (exit 2) before any AWS call
    await expect(awsCommand(['verify', '--config', file])).rejects.toThrow(ConfigError);
    await expect(awsCommand(['verify', '--config', file])).rejects.toThrow(/pass --stack NAME, or set state: dynamodb:\/\/<stack name>/);
  });
});
