import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { REPO_ROOT, repoPath } from './paths.js';

export interface HandlerFunctionProps {
  /** The handler's name: its Lambda entry is `runtime/aws/lambda/<name>.ts`. */
  name: string;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize?: number;
  /** Repository folders copied into the bundle, by the folder name they get there (e.g. `gold` ← `sql/gold`). */
  bundledFolders?: Readonly<Record<string, string>>;
  /**
   * An event handler invoked asynchronously (by an EventBridge rule): when Lambda's retries are
   * spent, the invocation record goes to {@link HandlerFunction.failures}, where retries-exhausted
   * ends the run. Without it (request-ingest, called synchronously), failures go to the dead-letter queue.
   */
  retriesEnd?: boolean;
}

/** Where Lambda unpacks a function's bundle. */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * One floe handler as a Lambda: bundled from `runtime/aws/lambda/<name>.ts` by the local esbuild
 * (never Docker), Node 22, its own log group. An event handler's invocations that still fail after
 * Lambda's own retries (2, so 3 attempts) go, as invocation records, to its failures queue, read
 * by retries-exhausted; what cannot be handled there, or delivered at all, lands in the
 * dead-letter queue, which is alarmed.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export class HandlerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly deadLetterQueue: Queue;
  /**
   * Invocation records of events whose retries are spent; absent without `retriesEnd`. start-ingest,
   * which reads its events from a queue, gets there the records its ingest queue moves on
   * (infra/start-ingest-queues.ts).
   */
  readonly failures: Queue | undefined;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    // Read by retries-exhausted (1 min timeout): a record it fails on five times goes to the dead letters.
    this.failures = props.retriesEnd === true
      ? new Queue(this, 'Failures', {
        retentionPeriod: Duration.days(14),
        visibilityTimeout: Duration.minutes(6),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      })
      : undefined;
    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: repoPath('runtime', 'aws', 'lambda', `${props.name}.ts`),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      logGroup,
      environment: { POWERTOOLS_SERVICE_NAME: `floe-${props.name}`, ...props.environment },
      ...(this.failures ? { onFailure: new SqsDestination(this.failures) } : { deadLetterQueue: this.deadLetterQueue }),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      projectRoot: REPO_ROOT,
      depsLockFilePath: repoPath('package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        logLevel: LogLevel.WARNING,
        sourceMap: true,
        // Bundle the pinned SDK v3 clients instead of trusting the runtime's copy.
        externalModules: [],
        // CommonJS packages bundled into ESM (snowflake-sdk among them) still reach for require and __dirname.
        banner:
          "import { createRequire as floeCreateRequire } from 'node:module'; import { fileURLToPath as floeFileURLToPath } from 'node:url'; " +
          'const require = floeCreateRequire(import.meta.url); const __filename = floeFileURLToPath(import.meta.url); ' +
          "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) =>
            Object.entries(props.bundledFolders ?? {}).map(([name, from]) => `cp -R "${join(inputDir, from)}" "${join(outputDir, name)}"`),
        },
      },
    });
  }
}
