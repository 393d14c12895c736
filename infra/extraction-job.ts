import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnJob } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { repoPath } from './paths.js';
import type { SourceSecrets } from './source-secrets.js';
import { ExtractionNetwork } from './extraction-network.js';
import type { SourceNetwork } from './source-network.js';
import { JOB_TIMEOUT_MINUTES } from '../pipeline/lease.js';

export interface ExtractionJobProps {
  jobName: string;
  rawBucket: Bucket;
  sourceSecrets: SourceSecrets;
  /** The sources' VPC (context `floe:network`); without it the job runs in AWS's network. */
  network?: SourceNetwork | undefined;
  /** Tables extracted at the same time (one job run per table); more wait in start-ingest's queue. */
  maxConcurrentRuns?: number;
}

/** The job's maximum concurrent runs unless the stack says otherwise. */
export const DEFAULT_MAX_CONCURRENT_RUNS = 10;

/**
 * The extraction job (`glue/`) as a Glue Python shell job (Python 3.9). The script is
 * `glue/extract.py`; everything it imports comes from the wheel set built by
 * `glue/packaging/build_wheelhouse.py` (floe_extract's own wheel and its pinned dependencies,
 * resolved for the Glue runtime's Python and platform), shipped as an asset of the stack. The script
 * installs that set with pip and the index disabled before importing floe_extract, so a run fetches
 * nothing from the internet (see glue/packaging/README.md). start-ingest passes every per-run
 * argument; the role reads and writes the raw bucket and reads only the source secrets (and their
 * KMS keys) named in the stack's context. With a network, the job runs through one Glue NETWORK
 * connection per subnet ({@link ExtractionNetwork}).
 * @see https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html
 */
export class ExtractionJob extends Construct {
  readonly job: CfnJob;
  readonly jobName: string;
  readonly jobArn: string;
  readonly role: Role;
  readonly network: ExtractionNetwork | undefined;
  readonly wheelhouse: Asset;

  constructor(scope: Construct, id: string, props: ExtractionJobProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.jobName = props.jobName;
    this.jobArn = stack.formatArn({ service: 'glue', resource: 'job', resourceName: props.jobName });

    const script = new Asset(this, 'Script', { path: repoPath('glue', 'extract.py') });
    this.wheelhouse = new Asset(this, 'Wheelhouse', { path: builtWheelhouse() });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('glue.amazonaws.com'),
      description: 'floe extraction job: raw bucket, its own assets and logs, the source secrets',
    });
    props.rawBucket.grantReadWrite(this.role);
    script.grantRead(this.role);
    this.wheelhouse.grantRead(this.role);
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          // Glue writes to /aws-glue/python-jobs/{output,error,logs-v2}; the wildcard covers their streams.
          stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ],
      }),
    );
    const secrets = Object.values(props.sourceSecrets);
    if (secrets.length === 0) {
      Annotations.of(this).addWarningV2(
        'floe:no-source-secrets',
        'No source secrets: the job can read no database. Set context floe:sourceSecrets to {"<source>": "<secret ARN>"}.',
      );
    } else {
      this.role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets.map((secret) => secret.secretArn) }));
    }
    // A secret encrypted with a customer managed key: Secrets Manager decrypts it with the caller's
    // kms:Decrypt permission on that key, which this grants only through Secrets Manager.
    // https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    const keys = [...new Set(secrets.flatMap((secret) => (secret.kmsKeyArn === undefined ? [] : [secret.kmsKeyArn])))];
    if (keys.length > 0) {
      this.role.addToPolicy(new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: keys,
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }));
    }
    this.network = props.network === undefined ? undefined : new ExtractionNetwork(this, 'Network', { network: props.network, jobRole: this.role });
    if (props.network === undefined) {
      Annotations.of(this).addWarningV2(
        'floe:no-network',
        "No network: the job runs in AWS's network and reaches only databases open to the internet. Set context floe:network to the sources' VPC.",
      );
    }

    this.job = new CfnJob(this, 'Job', {
      name: props.jobName,
      description: 'floe extraction: one table (or window) to Parquet + manifest in the raw bucket',
      role: this.role.roleArn,
      command: { name: 'pythonshell', pythonVersion: '3.9', scriptLocation: script.s3ObjectUrl },
      glueVersion: '3.0',
      maxCapacity: 1,
      // floe retries a run itself (a new run, from the committed watermark); Glue must not.
      maxRetries: 0,
      // The lease a run holds its table with outlasts this (pipeline/lease.ts): one value for both.
      timeout: JOB_TIMEOUT_MINUTES,
      // A start past this limit is refused by Glue (ConcurrentRunsExceededException) and waits in
      // start-ingest's queue (runtime/aws/start-later.ts), not in Glue's own job run queue: a run
      // Glue holds WAITING has no documented bound on that wait, and the run's lease must outlast it.
      executionProperty: { maxConcurrentRuns: props.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS },
      ...(this.network === undefined ? {} : { connections: { connections: this.network.connectionNames } }),
      defaultArguments: {
        '--job-language': 'python',
        // glue/extract.py installs this set (pip, no index) before importing floe_extract.
        [WHEELHOUSE_ARGUMENT]: this.wheelhouse.s3ObjectUrl,
      },
    });
  }
}

/** The job argument naming the wheel set; glue/extract.py reads the same name. */
export const WHEELHOUSE_ARGUMENT = '--floe-wheelhouse';

/** The wheel set's folder, built by glue/packaging/build_wheelhouse.py; a clear error when it was not built. */
export function builtWheelhouse(): string {
  const folder = repoPath('glue', 'dist', 'wheelhouse');
  if (!existsSync(join(folder, 'requirements.lock'))) {
    throw new Error(`${folder} holds no wheel set: run scripts/build-glue-wheels (scripts/setup runs it) before cdk synth`);
  }
  return folder;
}
