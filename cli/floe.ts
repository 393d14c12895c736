#!/usr/bin/env node
import { readFileSync } from 'node:fs';

import { describeError, EXIT, exitCodeOf } from './error-report.js';
import { USAGE, type CommandName } from './usage.js';

type Command = (argv: string[]) => Promise<number>;

/** What each command is for, shown by `floe <command> --help` under its usage. */
const PURPOSE: Record<CommandName, string> = {
  init: "Writes a complete, commented floe.config.yaml for a source from its catalog (the URL from an environment variable, never into the file), or from an existing config's source (--from).",
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

/**
 * Each command's module, loaded only when that command runs: `floe run` does not pay for the AWS
 * SDK clients, Snowflake's driver or the report's renderer it never uses (memory and start-up).
 */
const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  init: async () => (await import('./init.js')).initCommand,
  run: async () => (await import('./run.js')).runCommand,
  status: async () => (await import('./status.js')).statusCommand,
  logs: async () => (await import('./logs.js')).logsCommand,
  discover: async () => (await import('./discover.js')).discoverCommand,
  replay: async () => (await import('./replay.js')).replayCommand,
  push: async () => (await import('./push.js')).pushCommand,
  unlock: async () => (await import('./unlock.js')).unlockCommand,
  check: async () => (await import('./check.js')).checkCommand,
  snowflake: async () => (await import('./snowflake.js')).snowflakeCommand,
  aws: async () => (await import('./aws-verify.js')).awsCommand,
  report: async () => (await import('./report.js')).reportCommand,
};

const HELP = `usage:\n${Object.values(USAGE).map((line) => `  ${line}`).join('\n')}`;

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
    process.stdout.write(`floe ${version()}: move PostgreSQL and MySQL/MariaDB into Snowflake and keep them in sync\n\n${HELP}\n\nfloe <command> --help says more of one command.\n`);
    return EXIT.ok;
  }
  const known = name !== undefined && Object.hasOwn(COMMANDS, name) ? (name as CommandName) : undefined;
  if (known === undefined) {
    process.stderr.write(`${name === undefined ? '' : `floe: unknown command ${JSON.stringify(name)}\n`}${HELP}\n`);
    return EXIT.usage;
  }
  if (rest.some((arg) => HELP_FLAGS.has(arg))) {
    process.stdout.write(`usage:\n  ${USAGE[known]}\n\n${PURPOSE[known]}\n`);
    return EXIT.ok;
  }
  try {
    const command = await COMMANDS[known]();
    return await command(rest);
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main();
