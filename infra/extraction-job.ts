import { readFileSync } from 'node:fs';
import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnJob } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { repoPath } from './paths.js';
import type { SourceSecrets } from './source-secrets.js';
import { JOB_TIMEOUT_MINUTES } from '../pipeline/lease.js';

export interface ExtractionJobProps {
  jobName: string;
  rawBucket: Bucket;
  sourceSecrets: SourceSecrets;
  /** Tables extracted at the same time (one job run per table). */
  maxConcurrentRuns?: number;
}

/**
 * The pip requirements of `glue/pyproject.toml` (`[project] dependencies`), so the job installs
 * exactly what the package declares and the two cannot drift.
 */
export function glueRequirements(pyproject = readFileSync(repoPath('glue', 'pyproject.toml'), 'utf8')): string[] {
  const block = /^dependencies\s*=\s*\[([\s\S]*?)^\]/m.exec(pyproject)?.[1];
  if (block === undefined) throw new Error('glue/pyproject.toml: no [project] dependencies list found');
  return [...block.matchAll(/^\s*"([^"]+)"/gm)].map((match) => match[1] ?? '');
}

/**
 * The extraction job (`glue/`) as a Glue Python shell job. The script is `glue/extract.py`; the
 * `floe_extract` package travels as a zip on `--extra-py-files` (a folder asset holding only
 * `floe_extract/`), and its third-party requirements as `--additional-python-modules`.
 * start-ingest passes every per-run argument; the role reads and writes the raw bucket and reads
 * only the source secrets named in the stack's context.
 */
export class ExtractionJob extends Construct {
  readonly job: CfnJob;
  readonly jobName: string;
  readonly jobArn: string;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ExtractionJobProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.jobName = props.jobName;
    this.jobArn = stack.formatArn({ service: 'glue', resource: 'job', resourceName: props.jobName });

    const script = new Asset(this, 'Script', { path: repoPath('glue', 'extract.py') });
    const pkg = new Asset(this, 'Package', {
      path: repoPath('glue'),
      exclude: ['*', '.*', '!floe_extract', '!floe_extract/**', '**/__pycache__', '**/*.pyc'],
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('glue.amazonaws.com'),
      description: 'floe extraction job: raw bucket, its own assets and logs, the source secrets',
    });
    props.rawBucket.grantReadWrite(this.role);
    script.grantRead(this.role);
    pkg.grantRead(this.role);
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          // Glue writes to /aws-glue/python-jobs/{output,error,logs-v2}; the wildcard covers their streams.
          stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ],
      }),
    );
    const secretArns = Object.values(props.sourceSecrets);
    if (secretArns.length === 0) {
      Annotations.of(this).addWarningV2(
        'floe:no-source-secrets',
        'No source secrets: the job can read no database. Set context floe:sourceSecrets to {"<source>": "<secret ARN>"}.',
      );
    } else {
      this.role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secretArns }));
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
      executionProperty: { maxConcurrentRuns: props.maxConcurrentRuns ?? 10 },
      defaultArguments: {
        '--job-language': 'python',
        '--extra-py-files': pkg.s3ObjectUrl,
        '--additional-python-modules': glueRequirements().join(','),
      },
    });
  }
}
