import { CreateJobCommand, GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';

import { extractionJobArguments } from '../../pipeline/job-arguments.js';
import { GlueJobStarter, JobStartError } from '../../runtime/aws/glue-job-starter.js';
import { EXTRACT_JOB_NAME, EXTRACT_SPARK_JOB_NAME } from '../../runtime/local/glue-runner.js';
import { startMoto, type MotoServer } from '../moto.js';

describe('Runtime: GlueJobStarter (moto)', () => {
  let moto: MotoServer;
  let glue: GlueClient;

  beforeAll(async () => {
    moto = await startMoto();
    glue = new GlueClient(moto.config);
    await glue.send(
      new CreateJobCommand({
        Name: EXTRACT_JOB_NAME,
        Role: 'arn:aws:iam::123456789012:role/floe-extract',
        Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
        ExecutionProperty: { MaxConcurrentRuns: 10 },
      }),
    );
    // As infra/spark-extraction-job.ts defines it: the smallest run Glue takes, each run sized by start-ingest.
    await glue.send(
      new CreateJobCommand({
        Name: EXTRACT_SPARK_JOB_NAME,
        Role: 'arn:aws:iam::123456789012:role/floe-extract',
        Command: { Name: 'glueetl', ScriptLocation: 's3://floe-assets/glue/extract_spark.py', PythonVersion: '3' },
        GlueVersion: '5.1',
        WorkerType: 'G.1X',
        NumberOfWorkers: 2,
        ExecutionProperty: { MaxConcurrentRuns: 10 },
      }),
    );
  });

  afterAll(async () => {
    glue?.destroy();
    await moto?.stop();
  });

  it('starts a run whose Arguments are exactly the job-arguments map', async () => {
    // Prepare
    const jobArguments = extractionJobArguments(
      {
        source: 'clr',
        engine: 'postgres',
        connection: 'secretsmanager:floe/clr',
        table: 'public.coupons',
        primaryKey: ['id'],
        mode: 'incremental',
        incrementalColumn: 'updated_at',
        partitionColumn: 'id',
        partitions: 4,
      },
      { runId: 'r-glue-1', rawRoot: 's3://floe-raw/raw', runTime: new Date('2025-11-05T12:00:00Z'), watermark: '2025-11-05 11:00:00+00' },
    );
    const starter = new GlueJobStarter({ client: glue, jobName: EXTRACT_JOB_NAME });

    // Act
    const { jobRunId } = await starter.startJobRun(jobArguments);

    // Assess
    const { JobRun } = await glue.send(new GetJobRunCommand({ JobName: EXTRACT_JOB_NAME, RunId: jobRunId }));
    expect(JobRun?.Id).toBe(jobRunId);
    expect(JobRun?.JobName).toBe(EXTRACT_JOB_NAME);
    expect(JobRun?.Arguments).toEqual(jobArguments);
    expect(JobRun?.Arguments?.['--run-id']).toBe('r-glue-1');
  });

  it('gives each start its own job run id', async () => {
    // Prepare
    const starter = new GlueJobStarter({ client: glue, jobName: EXTRACT_JOB_NAME });

    // Act
    const first = await starter.startJobRun({ '--run-id': 'r-a' });
    const second = await starter.startJobRun({ '--run-id': 'r-b' });

    // Assess
    expect(first.jobRunId).not.toBe(second.jobRunId);
  });

  it("starts a Spark run with the capacity start-ingest decided, over the job's own workers", async () => {
    // Prepare
    const starter = new GlueJobStarter({ client: glue, jobName: EXTRACT_SPARK_JOB_NAME });
    const jobArguments = { '--run-id': 'r-spark-1', '--partition-column': 'id' };

    // Act
    const { jobRunId } = await starter.startJobRun(jobArguments, { workerType: 'G.2X', workers: 9 });

    // Assess
    const { JobRun } = await glue.send(new GetJobRunCommand({ JobName: EXTRACT_SPARK_JOB_NAME, RunId: jobRunId }));
    expect([JobRun?.JobName, JobRun?.WorkerType, JobRun?.NumberOfWorkers]).toEqual([EXTRACT_SPARK_JOB_NAME, 'G.2X', 9]);
    expect(JobRun?.Arguments).toEqual(jobArguments);
  });

  it('throws a terminal JobStartError naming the job and run when the job does not exist', async () => {
    // Prepare
    const starter = new GlueJobStarter({ client: glue, jobName: 'no-such-job' });

    // Act
    const starting = starter.startJobRun({ '--run-id': 'r-missing', '--connection': 'secretsmanager:floe/clr' });

    // Assess
    await expect(starting).rejects.toThrow(JobStartError);
    await expect(starting).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/^could not start Glue job "no-such-job" for run r-missing: /) as unknown,
    });
    await expect(starting).rejects.not.toThrow(/secretsmanager/);
  });
});
