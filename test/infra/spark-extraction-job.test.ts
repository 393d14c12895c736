import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import type { FloeStack } from '../../infra/floe-stack.js';
import { SPARK_GLUE_VERSION } from '../../infra/spark-extraction-job.js';
import { JOB_TIMEOUT_MINUTES } from '../../pipeline/lease.js';
import { allStatements, PARSED_NETWORK, synthFloeStack, type Resource } from './helpers.js';

let stack: FloeStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  ({ stack, template } = synthFloeStack({ network: PARSED_NETWORK }));
  resources = template.toJSON()['Resources'] as Record<string, Resource>;
});

const jobs = () => Object.values(resources).filter((resource) => resource.Type === 'AWS::Glue::Job');
const sparkJob = () => jobs().find((job) => job.Properties?.['Name'] === stack.sparkExtraction.jobName);
const pythonJob = () => jobs().find((job) => job.Properties?.['Name'] === stack.extraction.jobName);

describe('Stack: the Spark extraction job', () => {
  it('is a Glue 5.1 Spark job running glue/extract_spark.py, retried by floe only, with the Python job\'s timeout', () => {
    // Assess
    expect(jobs()).toHaveLength(2);
    expect(JSON.stringify((sparkJob()?.Properties?.['Command'] as { ScriptLocation: unknown }).ScriptLocation)).toMatch(/s3:\/\/.+\.py"/);
    template.hasResourceProperties('AWS::Glue::Job', {
      Name: 'FloeTest-extract-spark',
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: Match.anyValue() },
      GlueVersion: SPARK_GLUE_VERSION,
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      MaxRetries: 0,
      Timeout: JOB_TIMEOUT_MINUTES,
    });
  });

  it('runs in the same network connections, with the same role, as the Python job', () => {
    // Prepare
    const spark = sparkJob()?.Properties ?? {};
    const python = pythonJob()?.Properties ?? {};

    // Assess
    expect(spark['Role']).toEqual(python['Role']);
    expect(spark['Connections']).toEqual(python['Connections']);
    expect(spark['Connections']).toBeDefined();
  });

  it('gets floe_extract, its pinned drivers and the JDBC drivers from the stack\'s assets, and no package index', () => {
    // Prepare
    const args = (sparkJob()?.Properties?.['DefaultArguments'] ?? {}) as Record<string, unknown>;
    const s3 = (value: unknown) => JSON.stringify(value).match(/s3:\/\/[^"]+/g) ?? [];

    // Assess: a wheel, a zip of wheels, two jars, each an asset of the stack (cdk's bucket)
    expect(s3(args['--extra-py-files'])).toHaveLength(1);
    expect(s3(args['--additional-python-modules'])).toHaveLength(1);
    expect(JSON.stringify(args['--additional-python-modules'])).toMatch(/\.zip/);
    expect(s3(args['--extra-jars'])).toHaveLength(2);
    expect(args['--python-modules-installer-option']).toBe('--no-index');
    expect(args['--user-jars-first']).toBe('true');
  });

  it('lets start-ingest start both jobs and tells it which is which', () => {
    // Prepare
    const starts = allStatements(template).filter((statement) => JSON.stringify(statement['Action']).includes('glue:StartJobRun'));
    const environment = JSON.stringify(template.toJSON());

    // Assess
    expect(starts).toHaveLength(1);
    const resourcesOfStart = JSON.stringify(starts[0]?.['Resource']);
    expect(resourcesOfStart).toContain('job/FloeTest-extract"');
    expect(resourcesOfStart).toContain('job/FloeTest-extract-spark"');
    expect(environment).toContain('"FLOE_GLUE_SPARK_JOB_NAME":"FloeTest-extract-spark"');
  });

  it('sends the Spark job\'s state changes to glue-finished, as the Python job\'s', () => {
    // Prepare
    const rules = Object.values(resources).filter((resource) => resource.Type === 'AWS::Events::Rule');
    const glueRules = rules.filter((rule) => JSON.stringify(rule.Properties?.['EventPattern']).includes('Glue Job State Change'));

    // Assess: the rule on the default bus and the one on floe's bus, each naming both jobs
    expect(glueRules).toHaveLength(2);
    for (const rule of glueRules) {
      expect((rule.Properties?.['EventPattern'] as { detail: { jobName: string[] } }).detail.jobName).toEqual(['FloeTest-extract', 'FloeTest-extract-spark']);
    }
  });
});
