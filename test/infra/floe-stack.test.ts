import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { STACK_OUTPUTS } from '../../cli/aws-verify-stack.js';
import { routesFor } from '../../events/routes.js';
import { WHEELHOUSE_ARGUMENT } from '../../infra/extraction-job.js';
import type { FloeStack } from '../../infra/floe-stack.js';
import { PUBLISHED_DETAIL_TYPES } from '../../infra/published-events.js';
import { START_INGEST_BATCH_SIZE, START_INGEST_RECEIVES } from '../../infra/start-ingest-queues.js';
import { parseSourceSecrets } from '../../infra/source-secrets.js';
import { SNOWFLAKE, SOURCE_SECRETS, allStatements, asArray, functionStatements, synthFloeStack, type Resource } from './helpers.js';
import { stateTableDefinitions } from '../../state/dynamodb-tables.js';
import { repoRoot } from '../state/helpers.js';

const CFN_LINT = join(repoRoot, '.venv', 'bin', 'cfn-lint');

let stack: FloeStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  ({ stack, template } = synthFloeStack());
  resources = template.toJSON()['Resources'] as Record<string, Resource>;
});

/** Snowflake's IAM user once given; until then this account (infra/snowflake-trust.ts). */
const SNOWFLAKE_PRINCIPAL = {
  'Fn::If': ['SnowflakeUserKnown', { Ref: 'SnowflakeIamUserArn' }, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] }],
};

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(stack).getLogicalId(construct.node.defaultChild as CfnFunction);

describe('Stack: FloeStack events', () => {
  it("creates the stack's bus, named after the stack", () => {
    // Assess
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'FloeTest-events' });
  });

  it('makes exactly one rule per route, with the routing table pattern and its handler (start-ingest: its ingest queue) as target', () => {
    // Prepare
    const routes = routesFor([stack.extraction.jobName, stack.sparkExtraction.jobName]);
    const busId = logicalId(stack.bus);
    const busRules = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties?.['EventBusName']) === JSON.stringify({ Ref: busId }));

    for (const route of routes) {
      // Act: StageMerged has two routes (build-gold, check-after-merge), so a rule is its pattern and its target
      const handler = stack.handlers[route.handler];
      const target = route.handler === 'start-ingest' ? logicalId(stack.ingest) : logicalId(handler.fn);
      const matching = busRules.filter(([, rule]) =>
        JSON.stringify(rule.Properties?.['EventPattern']) === JSON.stringify(route.pattern) &&
        JSON.stringify(rule.Properties?.['Targets']).includes(`"${target}"`));

      // Assess
      expect(matching).toHaveLength(1);
      expect(matching[0]?.[1].Properties?.['Targets']).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [target, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(handler.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ]);
    }
    const handlerRules = busRules.filter(([, rule]) => /Function|Ingest/.test(JSON.stringify(rule.Properties?.['Targets'])));
    expect(handlerRules).toHaveLength(routes.length);
  });

  it("narrows the Glue route to the stack's own jobs (Python and Spark) and forwards their state changes from the default bus", () => {
    // Prepare
    const glueRoute = routesFor([stack.extraction.jobName, stack.sparkExtraction.jobName]).find((route) => route.handler === 'glue-finished');

    // Assess
    expect(glueRoute?.pattern.detail?.['jobName']).toEqual(['FloeTest-extract', 'FloeTest-extract-spark']);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: glueRoute?.pattern,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.bus), 'Arn'] } })],
    });
  });
});

describe('Stack: FloeStack Lambdas', () => {
  it('runs every Lambda on Node 22 or newer, and sends what still fails after its retries somewhere', () => {
    // Prepare
    const functions = ofType('AWS::Lambda::Function');
    const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig').map(([, config]) => config.Properties ?? {});

    // Assess: the five routed handlers send the records of spent retries to their failures queue
    // (read by retries-exhausted); request-ingest and retries-exhausted to a dead-letter queue
    expect(functions).toHaveLength(7);
    for (const [id, fn] of functions) {
      const runtime = String(fn.Properties?.['Runtime']);
      expect(runtime).toMatch(/^nodejs\d+\.x$/);
      expect(Number(/\d+/.exec(runtime)?.[0])).toBeGreaterThanOrEqual(22);
      const config = invokeConfigs.find((candidate) => JSON.stringify(candidate['FunctionName']) === JSON.stringify({ Ref: id }));
      const onFailure = (config?.['DestinationConfig'] as { OnFailure?: { Destination: unknown } } | undefined)?.OnFailure;
      expect(onFailure !== undefined || fn.Properties?.['DeadLetterConfig'] !== undefined).toBe(true);
    }
    for (const handler of Object.values(stack.handlers)) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(handler.fn) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(handler.failures!), 'Arn'] } } },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(stack.retriesExhausted.fn) },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(handler.failures!), 'Arn'] },
        BatchSize: 1,
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(handler.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 },
      });
    }
  });

  it('carries the gold models in the build-gold bundle, where FLOE_GOLD_DIR points', () => {
    // Prepare
    const [, buildGold] = ofType('AWS::Lambda::Function').find(([, fn]) =>
      (fn.Properties?.['Environment'] as { Variables: Record<string, string> }).Variables['POWERTOOLS_SERVICE_NAME'] === 'floe-build-gold')!;
    // The code's S3 key is the asset hash; synth stages the bundle as asset.<hash> in the app's output.
    const key = String((buildGold.Properties?.['Code'] as { S3Key: string }).S3Key);
    const bundle = join((stack.node.root as App).outdir, `asset.${key.replace(/\.zip$/, '')}`);

    // Assess
    expect((buildGold.Properties?.['Environment'] as { Variables: Record<string, string> }).Variables['FLOE_GOLD_DIR']).toBe('/var/task/gold');
    expect(readdirSync(join(bundle, 'gold')).sort()).toEqual(readdirSync(join(repoRoot, 'sql', 'gold')).sort());
    expect(existsSync(join(bundle, 'index.mjs'))).toBe(true);
  });

  it('bundles every Lambda so that plain Node loads it and finds its handler', () => {
    // Prepare: each function's bundle, staged by synth as asset.<hash>
    const bundles = ofType('AWS::Lambda::Function').map(([, fn]) => {
      const key = String((fn.Properties?.['Code'] as { S3Key: string }).S3Key);
      return join((stack.node.root as App).outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
    });

    // Act: import each in a fresh Node process, as the Lambda runtime would
    const loaded = bundles.map((bundle) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(bundle)}); console.log(typeof m.handler);`], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '' },
      }).trim(),
    );

    // Assess
    expect(loaded).toEqual(bundles.map(() => 'function'));
  });

  it('lets start-ingest start only the extraction job', () => {
    // Prepare
    const glueStatements = allStatements(template).filter((statement) => asArray(statement['Action']).some((action) => String(action).startsWith('glue:')));

    // Assess
    expect(glueStatements).toHaveLength(1);
    expect(glueStatements[0]).toMatchObject({ Action: 'glue:StartJobRun', Effect: 'Allow' });
    expect(JSON.stringify(glueStatements[0]?.['Resource'])).toContain(':job/FloeTest-extract');
  });
});

/**
 * The AWS rules these tests hold the stack to:
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions (EventBridge sends to a queue its policy allows)
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html (BatchSize at most 10,000 for a standard queue)
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html (a batch over 10 needs a window of 1 to 300 s)
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting (ReportBatchItemFailures)
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html (visibility timeout at least six times the function's timeout)
 */
describe('Stack: FloeStack start-ingest queues', () => {
  const startIngestId = () => logicalId(stack.handlers['start-ingest'].fn);
  const mappingOf = (queue: { node: { defaultChild?: unknown } }) => ofType('AWS::Lambda::EventSourceMapping')
    .map(([, mapping]) => mapping.Properties ?? {})
    .find((mapping) => JSON.stringify(mapping['EventSourceArn']) === JSON.stringify({ 'Fn::GetAtt': [logicalId(queue), 'Arn'] }));

  it('lets EventBridge send to the ingest queue for the IngestRequested rule only', () => {
    // Prepare: the rule that targets the queue, and the queue's policy
    const [ruleId] = ofType('AWS::Events::Rule').find(([, rule]) => JSON.stringify(rule.Properties?.['Targets']).includes(`"${logicalId(stack.ingest)}"`))!;
    const policies = ofType('AWS::SQS::QueuePolicy').filter(([, policy]) => JSON.stringify(policy.Properties?.['Queues']).includes(`"${logicalId(stack.ingest)}"`));
    const statements = policies.flatMap(([, policy]) => asArray((policy.Properties?.['PolicyDocument'] as { Statement: unknown }).Statement) as Record<string, unknown>[]);

    // Assess: sqs:SendMessage for events.amazonaws.com, conditioned on this rule's ARN (the EventBridge guide's SQS permissions)
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: expect.arrayContaining(['sqs:SendMessage']),
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
    }));
    const grantsToEventBridge = statements.filter((statement) => JSON.stringify(statement['Principal']).includes('events.amazonaws.com'));
    expect(grantsToEventBridge).toHaveLength(1);
  });

  it('reads both queues in batches that report their failed records, within Lambda\'s limits', () => {
    for (const queue of [stack.ingest, stack.startLater]) {
      // Act
      const mapping = mappingOf(queue);

      // Assess: the function is start-ingest; a batch over 10 needs a window of 1 to 300 s; at most 10,000 from a standard queue
      expect(mapping).toMatchObject({ FunctionName: { Ref: startIngestId() }, BatchSize: START_INGEST_BATCH_SIZE, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(mapping?.['BatchSize']).toBeLessThanOrEqual(10_000);
      expect(mapping?.['MaximumBatchingWindowInSeconds']).toBeGreaterThanOrEqual(1);
      expect(mapping?.['MaximumBatchingWindowInSeconds']).toBeLessThanOrEqual(300);
    }
  });

  it("hides a record start-ingest reads for at least six times the function's timeout", () => {
    // Prepare
    const timeout = Number(resources[startIngestId()]?.Properties?.['Timeout']);

    for (const queue of [stack.ingest, stack.startLater]) {
      // Assess
      expect(Number(resources[logicalId(queue)]?.Properties?.['VisibilityTimeout'])).toBeGreaterThanOrEqual(6 * timeout);
    }
    expect(timeout).toBeGreaterThan(0);
  });

  it("moves a record start-ingest failed five times to its failures queue (retries-exhausted ends the run), whose own failures are dead letters with an alarm", () => {
    // Prepare
    const startIngest = stack.handlers['start-ingest'];

    // Assess
    expect(resources[logicalId(stack.ingest)]?.Properties?.['RedrivePolicy']).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(startIngest.failures!), 'Arn'] }, maxReceiveCount: START_INGEST_RECEIVES,
    });
    expect(resources[logicalId(startIngest.failures!)]?.Properties?.['RedrivePolicy']).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(startIngest.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(startIngest.deadLetterQueue), 'QueueName'] } }],
    });
  });

  it('tells start-ingest both queues: where to send a deferred request, and how to know one coming back', () => {
    // Prepare
    const variables = (resources[startIngestId()]?.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(variables['FLOE_START_LATER_QUEUE_URL']).toEqual({ Ref: logicalId(stack.startLater) });
    expect(variables['FLOE_START_LATER_QUEUE_ARN']).toEqual({ 'Fn::GetAtt': [logicalId(stack.startLater), 'Arn'] });
  });
});

describe('Stack: FloeStack extraction job', () => {
  it('is a Python 3.9 shell job with the script and the wheel set it installs, and no package index', () => {
    // Assess
    template.hasResourceProperties('AWS::Glue::Job', {
      Name: 'FloeTest-extract',
      Command: { Name: 'pythonshell', PythonVersion: '3.9', ScriptLocation: { 'Fn::Sub': Match.stringLikeRegexp('\\.py$') } },
      MaxCapacity: 1,
      MaxRetries: 0,
      DefaultArguments: {
        '--job-language': 'python',
        [WHEELHOUSE_ARGUMENT]: { 'Fn::Sub': Match.stringLikeRegexp('\\.zip$') },
      },
    });
    const [, job] = ofType('AWS::Glue::Job')[0]!;
    const args = JSON.stringify(job.Properties?.['DefaultArguments']);
    expect(args).not.toMatch(/additional-python-modules|extra-py-files|index-url|pypi/);
  });

  it("reads exactly the sources' secrets and, for the warehouse steps, Snowflake's, by ARN", () => {
    // Prepare
    const secretStatements = allStatements(template).filter((statement) => asArray(statement['Action']).some((action) => String(action).startsWith('secretsmanager:')));
    const snowflakeSecret = { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SNOWFLAKE.secretArn };

    // Assess: the job reads the sources; load-and-merge and build-gold read Snowflake's credentials
    expect(secretStatements).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: Object.values(SOURCE_SECRETS) },
      snowflakeSecret,
      snowflakeSecret,
    ]);
  });

  it('tells the warehouse steps where Snowflake is, naming the secret and never a credential', () => {
    // Prepare
    const variables = (service: string) =>
      ofType('AWS::Lambda::Function')
        .map(([, fn]) => (fn.Properties?.['Environment'] as { Variables: Record<string, string> }).Variables)
        .find((v) => v['POWERTOOLS_SERVICE_NAME'] === service)!;

    // Assess
    for (const service of ['floe-load-and-merge', 'floe-build-gold']) {
      expect(variables(service)).toMatchObject({
        FLOE_SNOWFLAKE_ACCOUNT: SNOWFLAKE.account, FLOE_SNOWFLAKE_USER: SNOWFLAKE.user, FLOE_SNOWFLAKE_DATABASE: SNOWFLAKE.database,
        FLOE_SNOWFLAKE_WAREHOUSE: SNOWFLAKE.warehouse, FLOE_SNOWFLAKE_ROLE: SNOWFLAKE.role, FLOE_SNOWFLAKE_SECRET_ARN: SNOWFLAKE.secretArn,
      });
      expect(Object.keys(variables(service)).filter((name) => /PASSWORD|PRIVATE_KEY/.test(name))).toEqual([]);
    }
    expect(variables('floe-start-ingest')['FLOE_SNOWFLAKE_ACCOUNT']).toBeUndefined();
  });

  it("lets Snowflake's storage integration only read the raw bucket, with its own external id", () => {
    // Prepare
    const role = ofType('AWS::IAM::Role').find(([, r]) => String(r.Properties?.['Description']).includes('storage integration'));

    // Assess
    expect(role?.[1].Properties?.['AssumeRolePolicyDocument']).toMatchObject({
      Statement: [{ Principal: { AWS: SNOWFLAKE_PRINCIPAL }, Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'SnowflakeStorageExternalId' } } } }],
    });
    const policies = ofType('AWS::IAM::Policy').filter(([, policy]) => JSON.stringify(policy.Properties?.['Roles']).includes(role![0]));
    const actions = policies.flatMap(([, policy]) => ((policy.Properties?.['PolicyDocument'] as { Statement: { Action: unknown }[] }).Statement).flatMap((st) => asArray(st.Action)));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((action) => /^s3:(GetObject|GetBucket|List|GetObjectVersion)/.test(String(action)))).toBe(true);
  });
});

describe('Stack: FloeStack storage', () => {
  it('keeps the raw bucket private, encrypted, TLS-only, with expiring job logs', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: '_logs/', ExpirationInDays: 90, Status: 'Enabled' })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it.each([
    ['tableConfig', 'FloeTest-table-config', [{ AttributeName: 'pk', KeyType: 'HASH' }]],
    ['runtime', 'FloeTest-runtime', [{ AttributeName: 'pk', KeyType: 'HASH' }]],
    ['runs', 'FloeTest-runs', [{ AttributeName: 'runId', KeyType: 'HASH' }]],
    ['idempotency', 'FloeTest-idempotency', [{ AttributeName: 'id', KeyType: 'HASH' }]],
  ] as const)('makes the %s table %s (found by state: dynamodb://FloeTest) on demand, with point-in-time recovery', (name, tableName, keySchema) => {
    // Prepare
    const table = resources[logicalId(stack.tables[name])];

    // Assess
    expect(table?.Properties).toMatchObject({
      TableName: tableName,
      KeySchema: keySchema,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('indexes runs exactly as the DynamoDB state store queries them, and expires idempotency records', () => {
    // Prepare: the store's own table definitions are the specification.
    const runs = stateTableDefinitions({ tableConfig: 'c', runtime: 'r', runs: 'runs' })[2]!;
    // Assess
    expect(resources[logicalId(stack.tables.runs)]?.Properties?.['GlobalSecondaryIndexes']).toEqual(
      (runs.GlobalSecondaryIndexes ?? []).map((index) => expect.objectContaining({ IndexName: index.IndexName, KeySchema: index.KeySchema })),
    );
    expect(runs.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byJobRunId', 'byTable', 'byRequestedAt']);
    expect(resources[logicalId(stack.tables.idempotency)]?.Properties?.['TimeToLiveSpecification']).toEqual({ AttributeName: 'expiration', Enabled: true });
  });
});

describe('Stack: FloeStack permissions', () => {
  it("grants no '*' action and no whole-service wildcard", () => {
    // Prepare
    const allows = allStatements(template).filter((statement) => statement['Effect'] === 'Allow');
    const actions = allows.flatMap((statement) => asArray(statement['Action']).map(String));

    // Assess
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((action) => action === '*' || /^[\w-]+:\*$/.test(action))).toEqual([]);
    expect(allows.filter((statement) => statement['Resource'] === '*' && statement['Principal'] === undefined)).toEqual([]);
  });

  it.each(Object.entries(PUBLISHED_DETAIL_TYPES))('lets %s put on the floe bus only floe events of the detail-types it publishes', (name, detailTypes) => {
    // Prepare
    const putEvents = functionStatements(template, `floe-${name}`).filter((statement) => asArray(statement['Action']).includes('events:PutEvents'));

    // Assess: one grant, on the bus, conditioned on floe's source and exactly the function's types
    expect(putEvents).toEqual([{
      Action: 'events:PutEvents',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logicalId(stack.bus), 'Arn'] },
      Condition: { StringEquals: { 'events:source': 'floe.pipeline', 'events:detail-type': [...detailTypes] } },
    }]);
  });

  it('lets request-ingest, the entry reachable from outside AWS, publish IngestRequested and nothing else', () => {
    // Assess
    expect(PUBLISHED_DETAIL_TYPES['request-ingest']).toEqual(['IngestRequested']);
    expect(ofType('AWS::Lambda::Function')).toHaveLength(Object.keys(PUBLISHED_DETAIL_TYPES).length);
  });
});

describe('Stack: FloeStack Snowflake entry', () => {
  it("takes Snowflake's trust from parameters and lets the role invoke only POST and GET (the poll) /ingest", () => {
    // Assess
    template.hasParameter('SnowflakeIamUserArn', { Type: 'String' });
    template.hasParameter('SnowflakeExternalId', { Type: 'String' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: SNOWFLAKE_PRINCIPAL },
            Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'SnowflakeExternalId' } } },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'AWS_IAM' });
    template.resourceCountIs('AWS::ApiGateway::Method', 2);
    const invoke = allStatements(template).filter((statement) => statement['Action'] === 'execute-api:Invoke');
    expect(invoke).toHaveLength(1);
    const resources = asArray(invoke[0]?.['Resource']).map((resource) => JSON.stringify(resource));
    expect(resources).toHaveLength(2);
    expect(resources.find((resource) => resource.includes('/v1/POST/ingest'))).toBeDefined();
    expect(resources.find((resource) => resource.includes('/v1/GET/ingest'))).toBeDefined();
  });
  it("refuses, in the API's resource policy, every principal but Snowflake's role, whatever its own IAM policy allows", () => {
    // Prepare
    const [roleId] = ofType('AWS::IAM::Role').find(([, role]) => String(role.Properties?.['Description']).startsWith("Assumed by Snowflake's API integration"))!;
    const roleArn = { 'Fn::GetAtt': [roleId, 'Arn'] };
    const [, api] = ofType('AWS::ApiGateway::RestApi')[0]!;

    // Assess: an explicit deny, since a same-account caller needs only its own IAM allow
    expect(api.Properties?.['Policy']).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Principal: { AWS: roleArn }, Resource: ['execute-api:/v1/POST/ingest', 'execute-api:/v1/GET/ingest'] },
        { Action: 'execute-api:Invoke', Effect: 'Deny', Principal: { AWS: '*' }, Resource: 'execute-api:/*', Condition: { StringNotEquals: { 'aws:PrincipalArn': roleArn } } },
      ],
    });
  });

  it('throttles every method of the stage', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', DataTraceEnabled: false, ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 }],
    });
  });
});

describe('Stack: FloeStack alarms', () => {
  it('alarms as soon as any dead-letter queue holds a message', () => {
    // Prepare: every queue but the failures queues retries-exhausted reads and start-ingest's ingest and start-later queues
    const failures = new Set([...Object.values(stack.handlers).map((handler) => logicalId(handler.failures!)), logicalId(stack.ingest), logicalId(stack.startLater)]);
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id).filter((id) => !failures.has(id));

    // Assess: one per Lambda, and the alarm rules' own
    expect(queues).toHaveLength(8);
    for (const queue of queues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: Match.anyValue() }],
      });
    }
  });

  it('sends every IngestFailed event to the alarm topic', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack.bus) },
      EventPattern: { source: ['floe.pipeline'], 'detail-type': ['IngestFailed'] },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('AlarmsTopic') } })],
    });
  });

  it('lets no one publish to the alarm topic through its policy: EventBridge publishes through a role', () => {
    // Prepare
    const [, topicPolicy] = ofType('AWS::SNS::TopicPolicy').find(([, policy]) =>
      JSON.stringify(policy.Properties?.['Topics']) === JSON.stringify([{ Ref: logicalId(stack.alarms.topic) }]))!;

    // Assess: the topic policy only refuses publishing without TLS
    expect((topicPolicy.Properties?.['PolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    expect(allStatements(template).filter((statement) => JSON.stringify(statement['Principal'] ?? null).includes('events.amazonaws.com') &&
      asArray(statement['Action']).includes('sns:Publish'))).toEqual([]);
  });

  it('lets EventBridge assume the delivery role only for the two alarm rules, and the role publish only to the alarm topic', () => {
    // Prepare
    const roleId = logicalId(stack.alarms.deliveryRole);
    const ruleArn = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':rule/', { Ref: logicalId(stack.bus) }, `/${name}`]],
    });
    const alarmRules = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties?.['Targets']).includes(logicalId(stack.alarms.topic)));

    // Assess: the trust names the rules' ARNs, which are the ARNs of the rules that carry the role
    expect(resources[roleId]?.Properties?.['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnEquals: { 'aws:SourceArn': [ruleArn('FloeTest-alarm-ingest-failed'), ruleArn('FloeTest-alarm-check-drift')] },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }],
    });
    expect(alarmRules.map(([, rule]) => rule.Properties?.['Name']).sort()).toEqual(['FloeTest-alarm-check-drift', 'FloeTest-alarm-ingest-failed']);
    for (const [, rule] of alarmRules) {
      expect(rule.Properties?.['EventBusName']).toEqual({ Ref: logicalId(stack.bus) });
      expect(rule.Properties?.['Targets']).toEqual([expect.objectContaining({
        Arn: { Ref: logicalId(stack.alarms.topic) },
        RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.alarms.deliveryDeadLetters), 'Arn'] } },
      })]);
    }
    const rolePolicies = ofType('AWS::IAM::Policy').filter(([, policy]) => JSON.stringify(policy.Properties?.['Roles']) === JSON.stringify([{ Ref: roleId }]));
    expect(rolePolicies.flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: unknown[] }).Statement)).toEqual([
      { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: logicalId(stack.alarms.topic) } },
    ]);
  });

  it('sends every CheckCompleted that found drift to the alarm topic, and none for a check that could not run', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack.bus) },
      EventPattern: { source: ['floe.pipeline'], 'detail-type': ['CheckCompleted'], detail: { status: ['drift'] } },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('AlarmsTopic') } })],
    });
  });

  it('gives check-after-merge only state and the bus: no source secret, no Snowflake secret, no raw bucket', () => {
    // Prepare
    const role = stack.handlers['check-after-merge'].fn.role!;
    const policies = ofType('AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties?.['Roles']).includes(logicalId(role)));

    // Assess
    const actions = JSON.stringify(policies.map(([, policy]) => policy));
    expect(actions).toContain('events:PutEvents');
    expect(actions).not.toContain('secretsmanager:');
    expect(actions).not.toContain('s3:');
    expect(actions).not.toContain('glue:');
  });
});

describe('Stack: FloeStack outputs', () => {
  it('keys every output floe aws verify reads as the README names it, and gives the source secrets exactly as start-ingest has them', () => {
    // Prepare
    const outputs = template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    const startIngest = Object.values(resources).find((resource) => resource.Type === 'AWS::Lambda::Function' &&
      (resource.Properties?.['Environment'] as { Variables: Record<string, string> }).Variables['POWERTOOLS_SERVICE_NAME'] === 'floe-start-ingest')!;
    const environment = (startIngest.Properties?.['Environment'] as { Variables: Record<string, string> }).Variables;

    // Assess: ARNs only, never a value
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining([...STACK_OUTPUTS]));
    expect(outputs['SourceSecrets']?.Value).toBe(environment['FLOE_SOURCE_SECRETS']);
    expect(JSON.parse(outputs['SourceSecrets']!.Value as string)).toEqual(SOURCE_SECRETS);
  });
});

describe('Stack: FloeStack template', () => {
  it('passes cfn-lint', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'floe-cfn-'));
    const file = join(dir, 'floe.template.json');
    writeFileSync(file, JSON.stringify(template.toJSON(), null, 2));

    // Act
    // W3005: CDK adds DependsOn on each Lambda's service role beside the Role GetAtt; redundant and harmless.
    const result = cfnLint(['--ignore-checks', 'W3005', '--', file]);
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(result).toEqual({ status: 0, output: '' });
  });
});

function cfnLint(args: string[]): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(CFN_LINT, args, { encoding: 'utf8' }) };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    return { status: failed.status ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('Infra: parseSourceSecrets', () => {
  it('refuses a secret name or value in place of an ARN', () => {
    // Prepare
    const bad = { clr: 'postgresql://user:hunter2@db/clr' };

    // Act & Assess
    expect(() => parseSourceSecrets(bad)).toThrow(/expected a full Secrets Manager ARN/);
    expect(() => parseSourceSecrets(bad)).not.toThrow(/hunter2/);
    expect(parseSourceSecrets(JSON.stringify(SOURCE_SECRETS))).toEqual({ clr: { secretArn: SOURCE_SECRETS.clr }, shop: { secretArn: SOURCE_SECRETS.shop } });
  });
});
