#!/usr/bin/env node
import { readFileSync } from 'node:fs';

import { AWS_USAGE, awsCommand } from './aws-verify.js';
import { CHECK_USAGE, checkCommand } from './check.js';
import { DISCOVER_USAGE, discoverCommand } from './discover.js';
import { INIT_USAGE, initCommand } from './init.js';
import { REPLAY_USAGE, replayCommand } from './replay.js';
import { REPORT_USAGE, reportCommand } from './report.js';
import { LOGS_USAGE, logsCommand } from './logs.js';
import { PUSH_USAGE, pushCommand } from './push.js';
import { RUN_USAGE, runCommand } from './run.js';
import { SNOWFLAKE_USAGE, snowflakeCommand } from './snowflake.js';
import { STATUS_USAGE, statusCommand } from './status.js';
import { UNLOCK_USAGE, unlockCommand } from './unlock.js';
import { describeError, EXIT, exitCodeOf } from './error-report.js';

type Command = (argv: string[]) => Promise<number>;

/** What each command is for, shown by `floe <command> --help` under its usage. */
const PURPOSE: Record<string, string> = {
  init: "Writes a complete, commented floe.config.yaml for a source from its catalog (the URL from an environment variable, never into the file).",
  run: 'Runs the choreography for the selected tables on embedded defaults: extraction, raw, staging, gold. Prints each step and a summary.',
  status: 'Per table: mode, committed watermark, last run and its rows, lease state, and lag since the last successful run.',
  logs: "The extraction job's log lines for a run, then the run's steps.",
  discover: "Reads a source's catalog and prints table config ready to paste.",
  replay: "Republishes a run's past event, so the steps after it run again.",
  push: "Validates the config and writes every table's config to the state store it names.",
  unlock: 'Frees the table lease a dead run still holds, and ends that run as failed.',
  check: "Compares each table's source with its staging table; --repair re-extracts exactly the rows that differ.",
  snowflake: "Prints (ddl) or runs (apply) the Snowflake objects floe needs.",
  aws: "Checks a deployed stack line by line, the first thing to run after a deploy: its outputs, the table config in DynamoDB, the bus rules, a probe run of the Glue job per source (secret, network, login, SELECT, raw bucket), Snowflake's FLOE_INGEST round trip. Exit 1 if any check failed.",
  report: 'Writes one self-contained HTML page of the tables: freshness, lag, the last runs, failures, rejects, schema changes, checks, and a timeline.',
};

const COMMANDS: Record<string, Command> = {
  init: initCommand,
  run: runCommand,
  discover: discoverCommand,
  status: statusCommand,
  logs: logsCommand,
  replay: replayCommand,
  push: pushCommand,
  unlock: unlockCommand,
  check: checkCommand,
  snowflake: snowflakeCommand,
  aws: awsCommand,
  report: reportCommand,
};

const USAGE = `usage:
  ${INIT_USAGE}
  ${RUN_USAGE}
  ${STATUS_USAGE}
  ${LOGS_USAGE}
  ${DISCOVER_USAGE}
  ${REPLAY_USAGE}
  ${PUSH_USAGE}
  ${UNLOCK_USAGE}
  ${CHECK_USAGE}
  ${SNOWFLAKE_USAGE}
  ${AWS_USAGE}
  ${REPORT_USAGE}`;

/** The package's version, from package.json beside this folder. */
function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

const HELP_FLAGS = new Set(['--help', '-h']);

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === '--version' || name === '-V') {
    process.stdout.write(`floe ${version()}\n`);
    return EXIT.ok;
  }
  if (name !== undefined && HELP_FLAGS.has(name)) {
    process.stdout.write(`floe ${version()}: move PostgreSQL and MySQL/MariaDB into Snowflake and keep them in sync\n\n${USAGE}\n\nfloe <command> --help says more of one command.\n`);
    return EXIT.ok;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command || name === undefined) {
    process.stderr.write(`${name === undefined ? '' : `floe: unknown command ${JSON.stringify(name)}\n`}${USAGE}\n`);
    return EXIT.usage;
  }
  if (rest.some((arg) => HELP_FLAGS.has(arg))) {
    const usage = USAGE.split('\n').filter((line) => line.trim().startsWith(`floe ${name}`)).map((line) => line.trim());
    process.stdout.write(`usage:\n${usage.map((line) => `  ${line}`).join('\n')}\n\n${PURPOSE[name] ?? ''}\n`);
    return EXIT.ok;
  }
  try {
    return await command(rest);
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main();
