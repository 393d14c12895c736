import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { CfnJob } from 'aws-cdk-lib/aws-glue';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { MIN_SPARK_WORKERS } from '../config/extraction-engine.js';
import { JOB_TIMEOUT_MINUTES } from '../pipeline/lease.js';
import { DEFAULT_MAX_CONCURRENT_RUNS } from './extraction-job.js';
import { repoPath } from './paths.js';

/**
 * The Glue version of the Spark job: Spark 3.5.6, Python 3.11, Java 17 (glue/pyproject.toml pins
 * PySpark to it, so local mode runs the Spark that Glue runs).
 * @see https://docs.aws.amazon.com/glue/latest/dg/release-notes.html
 */
export const SPARK_GLUE_VERSION = '5.1';

export interface SparkExtractionJobProps {
  jobName: string;
  /** The Python job's role: the raw bucket, the source secrets and the network interfaces, which the Spark job needs alike. */
  role: Role;
  /** The Python job's Glue NETWORK connections (infra/extraction-network.ts): the Spark job runs in the same subnets. */
  connectionNames?: readonly string[] | undefined;
  maxConcurrentRuns?: number;
}

/** What glue/packaging/build_spark_bundle.py writes in glue/dist/spark/bundle.json. */
interface SparkBundle {
  floeExtract: string;
  jars: string[];
}

/**
 * The extraction job as a Glue Spark job (`glueetl`, Glue {@link SPARK_GLUE_VERSION}), for the tables
 * whose `engine` is spark (or `auto` above its threshold): the same arguments, files, manifest and exit
 * codes as the Python job (glue/README.md, "Engines"). Its script is `glue/extract_spark.py`; its files
 * are assets of the stack, built by glue/packaging/build_spark_bundle.py, so a run fetches nothing:
 *
 * - `--extra-py-files`: floe_extract's pure-Python wheel, on the path of the driver and every executor;
 * - `--additional-python-modules`: the pinned driver wheels (psycopg, the MySQL connector, pyarrow) as
 *   one zip of wheels (Glue 5), installed by Glue with `--python-modules-installer-option --no-index`;
 * - `--extra-jars`: Debian's JDBC drivers for PostgreSQL and MariaDB, the ones local mode loads,
 *   ahead of Glue's own (`--user-jars-first`).
 *
 * start-ingest passes each run's worker type and count (from the table, or its size); the job's own
 * are the smallest run Glue takes. Glue retries nothing (floe retries a run itself), and the timeout
 * is the Python job's: the table's lease outlasts either.
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
 */
export class SparkExtractionJob extends Construct {
  readonly job: CfnJob;
  readonly jobName: string;
  readonly jobArn: string;

  constructor(scope: Construct, id: string, props: SparkExtractionJobProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.jobName = props.jobName;
    this.jobArn = stack.formatArn({ service: 'glue', resource: 'job', resourceName: props.jobName });

    const folder = builtSparkBundle();
    const bundle = JSON.parse(readFileSync(join(folder, 'bundle.json'), 'utf8')) as SparkBundle;
    const asset = (name: string, path: string): Asset => {
      const file = new Asset(this, name, { path });
      file.grantRead(props.role);
      return file;
    };
    const script = asset('Script', repoPath('glue', 'extract_spark.py'));
    const floeExtract = asset('FloeExtract', join(folder, bundle.floeExtract));
    // One zip of the wheels and their requirements.txt, Glue 5's "zip of wheels": S3 keys of single-file assets
    // are hashes, and pip refuses a wheel whose file name is not the wheel's own.
    const wheels = asset('Wheels', join(folder, 'wheels'));
    const jars = bundle.jars.map((jar, index) => asset(`Jar${index + 1}`, join(folder, 'jars', jar)));

    this.job = new CfnJob(this, 'Job', {
      name: props.jobName,
      description: 'floe extraction on Spark: one large table (or window) to Parquet + manifest in the raw bucket',
      role: props.role.roleArn,
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: script.s3ObjectUrl },
      glueVersion: SPARK_GLUE_VERSION,
      workerType: 'G.1X',
      numberOfWorkers: MIN_SPARK_WORKERS,
      maxRetries: 0,
      timeout: JOB_TIMEOUT_MINUTES,
      executionProperty: { maxConcurrentRuns: props.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS },
      ...(props.connectionNames === undefined || props.connectionNames.length === 0 ? {} : { connections: { connections: [...props.connectionNames] } }),
      defaultArguments: {
        '--job-language': 'python',
        '--extra-py-files': floeExtract.s3ObjectUrl,
        '--additional-python-modules': wheels.s3ObjectUrl,
        '--python-modules-installer-option': '--no-index',
        '--extra-jars': jars.map((jar) => jar.s3ObjectUrl).join(','),
        '--user-jars-first': 'true',
        '--enable-continuous-cloudwatch-log': 'true',
      },
    });
  }
}

/** The Spark job's files, built by glue/packaging/build_spark_bundle.py; a clear error when they were not built. */
export function builtSparkBundle(): string {
  const folder = repoPath('glue', 'dist', 'spark');
  if (!existsSync(join(folder, 'bundle.json'))) {
    throw new Error(`${folder} holds no Spark bundle: run scripts/build-glue-spark (scripts/setup runs it) before cdk synth`);
  }
  return folder;
}
