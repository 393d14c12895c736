import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule, type EventPattern as CdkEventPattern } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget, LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FLOE_EVENT_SOURCE, GLUE_EVENT_SOURCE } from '../events/bus.js';
import { routesFor, type EventPattern, type HandlerName } from '../events/routes.js';
import { Alarms } from './alarms.js';
import { ExtractionJob } from './extraction-job.js';
import { HandlerFunction, LAMBDA_TASK_ROOT } from './handler-function.js';
import { PUBLISHED_DETAIL_TYPES, grantPublishing } from './published-events.js';
import { SnowflakeEntry } from './snowflake-entry.js';
import { SNOWFLAKE_CONTEXT, snowflakeEnvironment, type SnowflakeSettings } from './snowflake-settings.js';
import { SnowflakeStorageRole } from './snowflake-storage-role.js';
import { secretConnection, type SourceSecrets } from './source-secrets.js';
import type { SourceNetwork } from './source-network.js';
import { SnowflakeTrust } from './snowflake-trust.js';
import { SparkExtractionJob } from './spark-extraction-job.js';
import { StartIngestQueues } from './start-ingest-queues.js';
import { StateTables } from './state-tables.js';

export interface FloeStackProps extends StackProps {
  /** Source name → the Secrets Manager secret of its connection (context `floe:sourceSecrets`). */
  sourceSecrets: SourceSecrets;
  /** The sources' VPC, subnets and security groups (context `floe:network`). */
  network?: SourceNetwork | undefined;
  /** Where load-and-merge and build-gold find Snowflake (context `floe:snowflake`). */
  snowflake?: SnowflakeSettings | undefined;
  /** Days the job logs under `_logs/` are kept (default 90). */
  logRetentionDays?: number;
}

/** Per handler: how long one event may take, what it may touch beyond state and the bus, what it carries. */
const HANDLERS: Record<HandlerName, { timeout: Duration; memorySize: number; readsRaw: boolean; bundledFolders?: Record<string, string> }> = {
  // A batch of up to START_INGEST_BATCH_SIZE requests (start-ingest-queues.ts): a few seconds of state writes, job starts and publishing.
  'start-ingest': { timeout: Duration.minutes(2), memorySize: 512, readsRaw: false },
  'glue-finished': { timeout: Duration.minutes(1), memorySize: 512, readsRaw: true },
  'load-and-merge': { timeout: Duration.minutes(15), memorySize: 1024, readsRaw: true },
  'build-gold': { timeout: Duration.minutes(15), memorySize: 512, readsRaw: false, bundledFolders: { gold: 'sql/gold' } },
  // Its own Lambda, not a step of load-and-merge: see runtime/aws/lambda/check-after-merge.ts. It reads
  // state and publishes CheckCompleted, nothing else, until its comparison is built for AWS.
  'check-after-merge': { timeout: Duration.minutes(15), memorySize: 512, readsRaw: false },
};

/** The routing table's pattern in CDK's spelling; synthesizes to exactly the same JSON. */
export function cdkEventPattern(pattern: EventPattern): CdkEventPattern {
  return {
    source: [...pattern.source],
    detailType: [...pattern['detail-type']],
    ...(pattern.detail === undefined ? {} : { detail: structuredClone(pattern.detail) }),
  };
}

/**
 * floe on AWS: the `floe` bus with one rule per route of `events/routes.ts`, a Lambda per handler,
 * the Glue extraction job, the raw bucket, the state tables, the Snowflake entry and the alarms.
 */
export class FloeStack extends Stack {
  readonly bus: EventBus;
  readonly rawBucket: Bucket;
  readonly tables: StateTables;
  readonly extraction: ExtractionJob;
  /** The Spark job, for tables whose engine is spark (or auto above its threshold): same role, network and choreography. */
  readonly sparkExtraction: SparkExtractionJob;
  readonly handlers: Record<HandlerName, HandlerFunction>;
  /** Ends the run of an event whose handler's retries are spent (functions/retries-exhausted/). */
  readonly retriesExhausted: HandlerFunction;
  readonly alarms: Alarms;
  /** Where the bus delivers IngestRequested, for start-ingest to read in batches. */
  readonly ingest: Queue;
  /** Where start-ingest puts a request Glue refused for its concurrent-run limit (runtime/aws/start-later.ts). */
  readonly startLater: Queue;

  constructor(scope: Construct, id: string, props: FloeStackProps) {
    super(scope, id, props);
    const trust = new SnowflakeTrust(this);

    // Named after the stack, like every named resource, so two stacks can share an account and region.
    this.bus = new EventBus(this, 'Bus', { eventBusName: busNameFor(this.stackName) });
    // `floe replay` replays from here.
    this.bus.archive('Archive', {
      description: 'floe events, for floe replay',
      eventPattern: { source: [FLOE_EVENT_SOURCE, GLUE_EVENT_SOURCE] },
      retention: Duration.days(30),
    });

    this.rawBucket = new Bucket(this, 'RawBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [
        { id: 'expire-job-logs', prefix: '_logs/', expiration: Duration.days(props.logRetentionDays ?? 90) },
        // A job run reads its batch of tables when it starts; a week covers any retry or replay of the run.
        { id: 'expire-job-batches', prefix: '_batches/', expiration: Duration.days(7) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    const rawRoot = `s3://${this.rawBucket.bucketName}`;

    this.tables = new StateTables(this, 'State');
    this.extraction = new ExtractionJob(this, 'Extraction', {
      jobName: `${this.stackName}-extract`,
      rawBucket: this.rawBucket,
      sourceSecrets: props.sourceSecrets,
      network: props.network,
    });
    this.sparkExtraction = new SparkExtractionJob(this, 'SparkExtraction', {
      jobName: `${this.stackName}-extract-spark`,
      role: this.extraction.role,
      connectionNames: this.extraction.network?.connectionNames,
    });
    // Either job's end is a Glue Job State Change glue-finished maps back to its runs.
    const routes = routesFor([this.extraction.jobName, this.sparkExtraction.jobName]);

    const environment = { FLOE_BUS_NAME: this.bus.eventBusName, FLOE_RAW_ROOT: rawRoot, ...this.tables.environment() };
    if (props.snowflake === undefined) {
      Annotations.of(this).addWarningV2(
        'floe:no-snowflake',
        `No Snowflake settings: load-and-merge and build-gold cannot connect. Set context ${SNOWFLAKE_CONTEXT} to {"account", "user", "database", "secretArn", …}.`,
      );
    }
    const warehouseEnvironment = props.snowflake === undefined ? {} : snowflakeEnvironment(props.snowflake);
    // Each secret's ARN, with the address it lacks (an RDS-managed secret's) as ?host=…&port=…&dbname=…:
    // start-ingest's FLOE_SOURCE_SECRETS, and the SourceSecrets output `floe aws verify` probes with.
    const sourceSecrets = JSON.stringify(Object.fromEntries(Object.entries(props.sourceSecrets).map(([source, secret]) =>
      [source, secretConnection(secret).slice('secretsmanager:'.length)])));
    const handlerEnvironment: Record<HandlerName, Record<string, string>> = {
      'start-ingest': {
        ...environment,
        FLOE_GLUE_JOB_NAME: this.extraction.jobName,
        FLOE_GLUE_SPARK_JOB_NAME: this.sparkExtraction.jobName,
        FLOE_SOURCE_SECRETS: sourceSecrets,
      },
      'glue-finished': environment,
      'load-and-merge': { ...environment, ...warehouseEnvironment },
      'build-gold': { ...environment, ...warehouseEnvironment, FLOE_GOLD_DIR: `${LAMBDA_TASK_ROOT}/gold` },
      'check-after-merge': environment,
    };
    const handlers: Partial<Record<HandlerName, HandlerFunction>> = {};
    for (const [name, spec] of Object.entries(HANDLERS) as [HandlerName, (typeof HANDLERS)[HandlerName]][]) {
      const handler = new HandlerFunction(this, pascal(name), {
        name, environment: handlerEnvironment[name], timeout: spec.timeout, memorySize: spec.memorySize, retriesEnd: true,
        ...(spec.bundledFolders ? { bundledFolders: spec.bundledFolders } : {}),
      });
      this.tables.grantHandler(handler.fn);
      grantPublishing(this.bus, handler.fn, PUBLISHED_DETAIL_TYPES[name]);
      if (spec.readsRaw) this.rawBucket.grantRead(handler.fn);
      handlers[name] = handler;
    }
    this.handlers = handlers as Record<HandlerName, HandlerFunction>;
    this.retriesExhausted = this.retriesExhaustedFunction(environment);
    this.handlers['start-ingest'].fn.addToRolePolicy(
      new PolicyStatement({ actions: ['glue:StartJobRun'], resources: [this.extraction.jobArn, this.sparkExtraction.jobArn] }),
    );
    // A job run of several tables reads them from a batch file start-ingest writes (glue/floe_extract/batch.py).
    this.rawBucket.grantPut(this.handlers['start-ingest'].fn, '_batches/*');
    ({ ingest: this.ingest, startLater: this.startLater } = new StartIngestQueues(this, 'StartIngestQueues', {
      startIngest: this.handlers['start-ingest'], timeout: HANDLERS['start-ingest'].timeout,
    }));
    if (props.snowflake !== undefined) {
      for (const name of ['load-and-merge', 'build-gold'] as const) {
        this.handlers[name].fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.snowflake.secretArn] }));
      }
    }

    for (const route of routes) {
      const handler = this.handlers[route.handler];
      // What EventBridge cannot deliver after its retries lands in the handler's dead-letter queue.
      const delivery = { deadLetterQueue: handler.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(2) };
      new Rule(this, `${pascal(route.handler)}Route`, {
        description: `floe route: ${route.pattern['detail-type'].join(', ')} → ${route.handler}`,
        eventBus: this.bus,
        eventPattern: cdkEventPattern(route.pattern),
        // start-ingest reads its events from the ingest queue, in batches. The SqsQueue target gives
        // EventBridge sqs:SendMessage in the queue's policy, for this rule only (aws:SourceArn).
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
        targets: [route.handler === 'start-ingest' ? new SqsQueue(this.ingest, delivery) : new LambdaFunction(handler.fn, delivery)],
      });
    }

    // AWS services publish to the default bus only: forward floe's Glue job state changes to the floe bus,
    // where the routing table's own glue-finished rule (and the archive) sees them.
    const glueRoute = routes.find((route) => route.handler === 'glue-finished');
    if (glueRoute) {
      new Rule(this, 'ForwardGlueStateChanges', {
        description: "floe: the extraction job's state changes, from the default bus to the floe bus",
        eventPattern: cdkEventPattern(glueRoute.pattern),
        // A reference (IEventBus) to the bus: the target's type does not accept the construct under exactOptionalPropertyTypes.
        targets: [new EventBusTarget(EventBus.fromEventBusArn(this, 'BusRef', this.bus.eventBusArn))],
      });
    }

    const entry = new SnowflakeEntry(this, 'Snowflake', { environment, trust: trust.api });
    const storage = new SnowflakeStorageRole(this, 'SnowflakeStorage', { rawBucket: this.rawBucket, trust: trust.storage });
    this.tables.grantHandler(entry.handler.fn);
    grantPublishing(this.bus, entry.handler.fn, PUBLISHED_DETAIL_TYPES['request-ingest']);

    const alarms = new Alarms(this, 'Alarms', {
      bus: this.bus,
      deadLetterQueues: Object.fromEntries([
        ...Object.entries(this.handlers).map(([name, handler]) => [pascal(name), handler.deadLetterQueue] as const),
        ['RequestIngest', entry.handler.deadLetterQueue] as const,
        ['RetriesExhausted', this.retriesExhausted.deadLetterQueue] as const,
      ]),
    });
    this.alarms = alarms;

    new CfnOutput(this, 'BusName', { value: this.bus.eventBusName });
    new CfnOutput(this, 'StateStore', { value: `dynamodb://${this.stackName}`, description: 'state: in floe.config.yaml' });
    new CfnOutput(this, 'JobConnections', { value: (this.extraction.network?.connectionNames ?? []).join(',') || 'none', description: "the Glue NETWORK connections the extraction job runs through ('none': AWS's network)" });
    new CfnOutput(this, 'RawRoot', { value: rawRoot });
    new CfnOutput(this, 'GlueJobName', { value: this.extraction.jobName });
    new CfnOutput(this, 'GlueSparkJobName', { value: this.sparkExtraction.jobName, description: 'the extraction job for tables on the Spark engine' });
    // ARNs and addresses only, never a value: CloudFormation shows outputs to anyone who may describe the stack.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html
    new CfnOutput(this, 'SourceSecrets', { value: sourceSecrets, description: "each source's secret ARN (and the address it lacks), as start-ingest gives the job" });
    new CfnOutput(this, 'SnowflakeStorageRoleArn', { value: storage.role.roleArn, description: "STORAGE_AWS_ROLE_ARN of Snowflake's storage integration (snowflake.storageRoleArn)" });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn, description: 'subscribe to hear about IngestFailed and dead letters' });
  }

  /**
   * The function that reads every event handler's failures queue and ends the run of an event
   * whose retries are spent, once, with its last error (IngestFailed). It names the handler by the
   * queue its record came from; it may publish IngestFailed only.
   */
  private retriesExhaustedFunction(environment: Record<string, string>): HandlerFunction {
    const failures = Object.entries(this.handlers).map(([name, handler]) => [name, handler.failures!] as const);
    const fn = new HandlerFunction(this, 'RetriesExhausted', {
      name: 'retries-exhausted',
      environment: { ...environment, FLOE_FAILURE_QUEUES: this.toJsonString(Object.fromEntries(failures.map(([name, queue]) => [queue.queueArn, name]))) },
      timeout: Duration.minutes(1),
    });
    this.tables.grantHandler(fn.fn);
    grantPublishing(this.bus, fn.fn, PUBLISHED_DETAIL_TYPES['retries-exhausted']);
    for (const [, queue] of failures) fn.fn.addEventSource(new SqsEventSource(queue, { batchSize: 1 }));
    return fn;
  }
}

/** The stack's event bus: named after the stack (a second stack in the same account and region gets its own). */
export function busNameFor(stackName: string): string {
  return `${stackName}-events`;
}

function pascal(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}
