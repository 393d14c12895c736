#!/usr/bin/env node
import { CHECK_USAGE, checkCommand } from './check.js';
import { DISCOVER_USAGE, discoverCommand } from './discover.js';
import { REPLAY_USAGE, replayCommand } from './replay.js';
import { LOGS_USAGE, logsCommand } from './logs.js';
import { PUSH_USAGE, pushCommand } from './push.js';
import { RUN_USAGE, runCommand } from './run.js';
import { SNOWFLAKE_USAGE, snowflakeCommand } from './snowflake.js';
import { STATUS_USAGE, statusCommand } from './status.js';
import { UNLOCK_USAGE, unlockCommand } from './unlock.js';
import { describeError, EXIT, exitCodeOf } from './error-report.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  discover: discoverCommand,
  status: statusCommand,
  logs: logsCommand,
  replay: replayCommand,
  push: pushCommand,
  unlock: unlockCommand,
  check: checkCommand,
  snowflake: snowflakeCommand,
};

const USAGE = `usage:
  ${RUN_USAGE}
  ${STATUS_USAGE}
  ${LOGS_USAGE}
  ${DISCOVER_USAGE}
  ${REPLAY_USAGE}
  ${PUSH_USAGE}
  ${UNLOCK_USAGE}
  ${CHECK_USAGE}
  ${SNOWFLAKE_USAGE}`;

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  try {
    return await command(rest);
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main();
