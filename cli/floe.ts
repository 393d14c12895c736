#!/usr/bin/env node
import { readFileSync } from 'node:fs';

import { describeError, EXIT, exitCodeOf } from './error-report.js';

type Command = (argv: string[]) => Promise<number>;

/** What each command is for, shown by `floe <command> --help` under its usage. */
const PURPOSE: Record<string, string> = {
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
const COMMANDS: Record<string, () => Promise<{ usage: string; command: Command }>> = {
  init: async () => { const m = await import('./init.js'); return { usage: m.INIT_USAGE, command: m.initCommand }; },
  run: async () => { const m = await import('./run.js'); return { usage: m.RUN_USAGE, command: m.runCommand }; },
  status: async () => { const m = await import('./status.js'); return { usage: m.STATUS_USAGE, command: m.statusCommand }; },
  logs: async () => { const m = await import('./logs.js'); return { usage: m.LOGS_USAGE, command: m.logsCommand }; },
  discover: async () => { const m = await import('./discover.js'); return { usage: m.DISCOVER_USAGE, command: m.discoverCommand }; },
  replay: async () => { const m = await import('./replay.js'); return { usage: m.REPLAY_USAGE, command: m.replayCommand }; },
  push: async () => { const m = await import('./push.js'); return { usage: m.PUSH_USAGE, command: m.pushCommand }; },
  unlock: async () => { const m = await import('./unlock.js'); return { usage: m.UNLOCK_USAGE, command: m.unlockCommand }; },
  check: async () => { const m = await import('./check.js'); return { usage: m.CHECK_USAGE, command: m.checkCommand }; },
  snowflake: async () => { const m = await import('./snowflake.js'); return { usage: m.SNOWFLAKE_USAGE, command: m.snowflakeCommand }; },
  aws: async () => { const m = await import('./aws-verify.js'); return { usage: m.AWS_USAGE, command: m.awsCommand }; },
  report: async () => { const m = await import('./report.js'); return { usage: m.REPORT_USAGE, command: m.reportCommand }; },
};

/** Every command's usage line, in the order of {@link COMMANDS}; loads every command's module. */
async function usage(): Promise<string> {
  const lines = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).usage));
  return `usage:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}

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
    process.stdout.write(`floe ${version()}: move PostgreSQL and MySQL/MariaDB into Snowflake and keep them in sync\n\n${await usage()}\n\nfloe <command> --help says more of one command.\n`);
    return EXIT.ok;
  }
  const load = name === undefined || !Object.hasOwn(COMMANDS, name) ? undefined : COMMANDS[name];
  if (!load || name === undefined) {
    process.stderr.write(`${name === undefined ? '' : `floe: unknown command ${JSON.stringify(name)}\n`}${await usage()}\n`);
    return EXIT.usage;
  }
  try {
    const { usage: commandUsage, command } = await load();
    if (rest.some((arg) => HELP_FLAGS.has(arg))) {
      process.stdout.write(`usage:\n  ${commandUsage}\n\n${PURPOSE[name] ?? ''}\n`);
      return EXIT.ok;
    }
    return await command(rest);
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main();
