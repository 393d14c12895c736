import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';

import { ConfigError, loadConfig, tableKey, toTableConfigs, type FloeConfig } from '../config/index.js';
import { DynamoDbStateStore, stateTableNamesFor } from '../state/dynamodb.js';
import { checkConfigNamesStack, checkSourceSecrets, checkTableConfig, parseSourceSecrets } from './aws-verify-config.js';
import { formatVerifyLine, skipped, summary, verifyExitCode, type VerifyLine } from './verify-line.js';
import { runProbes, type ProbeTarget, type ProbeWait } from './aws-verify-probe.js';
import { checkRules } from './aws-verify-rules.js';
import { checkSnowflake, openIngestCall, type OpenIngestCall } from './aws-verify-snowflake.js';
import { checkStack } from './aws-verify-stack.js';
import { EXIT } from './error-report.js';
import { USAGE } from './usage.js';

/** The SDK clients verify uses; the command makes them with the SDK's usual credentials and region, tests point them at moto. */
export interface AwsVerifyClients {
  readonly cloudformation: CloudFormationClient;
  readonly dynamodb: DynamoDBClient;
  readonly eventbridge: EventBridgeClient;
  readonly glue: GlueClient;
  readonly s3: S3Client;
}

export interface AwsVerifyOptions {
  readonly config: FloeConfig;
  /** As the user gave it: fixes name the file to edit. */
  readonly configFile: string;
  readonly stackName: string;
  readonly clients: AwsVerifyClients;
  readonly wait: ProbeWait;
  readonly openIngest: OpenIngestCall;
  /** Each check's line, as soon as it is known (stdout). */
  readonly write: (line: string) => void;
  /** Progress while probe runs are awaited (stderr). */
  readonly progress: (line: string) => void;
}

/** The stack `floe aws verify` checks: --stack, else the one the config's `state: dynamodb://<stack>` names. */
export function stackNameFor(config: FloeConfig, stack: string | undefined): string {
  if (stack !== undefined && stack !== '') return stack;
  if (config.state === 'dynamodb') return 'Floe';
  if (config.state.startsWith('dynamodb://')) return config.state.slice('dynamodb://'.length) || 'Floe';
  throw new ConfigError(`floe aws verify: the config's state (${config.state}) names no stack: pass --stack NAME, or set state: dynamodb://<stack name>`);
}

/**
 * `floe aws verify`: the deployed stack, checked line by line, in the order a deploy builds on:
 * its outputs; the config naming its state tables and raw bucket; the table config in DynamoDB
 * against the file; a secret per source; the bus rules of the routing table and the Glue forwarding
 * rule; a probe run of the Glue job per source (secret, network, database login and SELECT, raw
 * bucket); Snowflake's FLOE_INGEST round trip when configured. Returns every line.
 */
export async function verifyAws(options: AwsVerifyOptions): Promise<VerifyLine[]> {
  const { config, configFile, stackName, clients } = options;
  const lines: VerifyLine[] = [];
  const report = (...found: VerifyLine[]) => {
    for (const line of found) {
      lines.push(line);
      options.write(formatVerifyLine(line));
    }
  };
  const { line: stackLine, outputs, found } = await checkStack(clients.cloudformation, stackName);
  report(stackLine);
  // Without the stack every other check would fail for that one reason.
  if (!found) return lines;
  report(...checkConfigNamesStack(config, configFile, outputs));

  const tableNames = stateTableNamesFor(stackName);
  const state = new DynamoDbStateStore(clients.dynamodb, tableNames);
  const { line: tableLine, stored } = await checkTableConfig(config, configFile, state, tableNames.tableConfig);
  report(tableLine);
  const secrets = parseSourceSecrets(outputs.SourceSecrets);
  report(checkSourceSecrets(config, secrets));

  const { BusName: bus, GlueJobName: jobName, GlueSparkJobName: sparkJobName, RawRoot: rawRoot } = outputs;
  if (bus === undefined || jobName === undefined) report(skipped('bus rules', 'needs the stack\'s BusName and GlueJobName outputs'));
  // The stack's Glue rules match both extraction jobs' state changes (a stack from before the Spark job, only the first).
  else report(...(await checkRules(clients.eventbridge, bus, sparkJobName === undefined ? [jobName] : [jobName, sparkJobName])));

  if (jobName === undefined || rawRoot === undefined || secrets === undefined) {
    report(skipped('probe runs of the Glue job', 'need the stack\'s GlueJobName, RawRoot and SourceSecrets outputs'));
  } else {
    const targets: ProbeTarget[] = [];
    const wanted = toTableConfigs(config);
    for (const source of config.sources) {
      const first = wanted.find((table) => table.source === source.name);
      const secret = secrets.get(source.name);
      if (first === undefined) continue;
      if (secret === undefined) {
        report(skipped(`probe ${source.name}`, 'the stack has no secret for it (see the source secrets line)'));
        continue;
      }
      targets.push({ source: source.name, table: stored.get(tableKey(first.source, first.table)) ?? first, connection: `secretsmanager:${secret}` });
    }
    report(...(await runProbes({ glue: clients.glue, s3: clients.s3, jobName, rawRoot, wait: options.wait, progress: options.progress }, targets)));
  }

  report(...(await checkSnowflake(config, configFile, outputs, options.openIngest)));
  return lines;
}

/** `floe aws verify`: prints one line per check and a summary; exit 1 when any check failed. */
export async function awsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      stack: { type: 'string' },
      'wait-minutes': { type: 'string', default: '15' },
    },
  });
  const minutes = Number(values['wait-minutes']);
  if (positionals[0] !== 'verify' || positionals.length !== 1 || !(minutes > 0)) {
    process.stderr.write(`usage: ${USAGE.aws}\n`);
    return EXIT.usage;
  }
  // Connections are not read: on AWS the job takes each source's secret from the stack.
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const clients: AwsVerifyClients = {
    cloudformation: new CloudFormationClient({}), dynamodb: new DynamoDBClient({}), eventbridge: new EventBridgeClient({}), glue: new GlueClient({}), s3: new S3Client({}),
  };
  try {
    const lines = await verifyAws({
      config, configFile: values.config, stackName: stackNameFor(config, values.stack), clients,
      wait: { timeoutMs: minutes * 60_000, pollMs: 10_000 },
      openIngest: openIngestCall(),
      write: (line) => process.stdout.write(`${line}\n`),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${summary(lines)}\n`);
    return verifyExitCode(lines);
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}
