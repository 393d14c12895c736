import { parseArgs } from 'node:util';

import { loadConfig, printable, printableJson } from '../config/index.js';
import type { RunRecord } from '../state/index.js';
import { formatJobLogLine, readJobLogs } from './job-log.js';
import { openStateStore } from './state-store.js';
import { printTable } from './table-output.js';
import { formatInstant } from './time-format.js';
import { USAGE } from './usage.js';

/**
 * Prints the extraction job's log of one run, then the run's steps from the
 * state store. With `--json`, every stdout line is JSON: the log's lines as the
 * job wrote them (control characters the job left raw, DEL, C1, bidi, written as
 * the `\uHHHH` escapes that mean the same), then one `{"runId", "step"}` line per step.
 * Nothing printed carries a raw control character (config/printable.ts).
 *
 * The log is read from the raw root, a folder or `s3://` (with the AWS SDK's usual credentials).
 *
 * Exit codes: 0 the log was printed; 1 there is no log to print (the job has
 * not written one: still extracting, or never started), the
 * steps are printed all the same; 2 usage, config, or a run id the state does not know.
 */
export async function logsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      json: { type: 'boolean', default: false },
    },
  });
  const [runId, ...extra] = positionals;
  if (runId === undefined || extra.length > 0) {
    process.stderr.write(`usage: ${USAGE.logs}\n`);
    return 2;
  }
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const run = await openStateStore(config).getRun(runId);
  if (run === null) {
    process.stderr.write(`floe: no run ${printable(runId)} in ${config.state}; \`floe status\` shows each table's last run id\n`);
    return 2;
  }

  const logs = await readJobLogs(config.raw, run.source, run.table, run.runId);
  if (logs.length === 0) {
    process.stderr.write(
      `floe: no extraction log for run ${printable(run.runId)} under ${printable(`${config.raw}/_logs/*/${run.source}/${run.table}/`)} ` +
        `(the job writes it when it ends, so a run still extracting or one that never reached the job has none); the run's steps follow\n`,
    );
  }
  for (const { location, lines } of logs) {
    if (values.json) process.stdout.write(lines.map((line) => `${printableJson(line)}\n`).join(''));
    else process.stdout.write(`extraction log ${printable(location)}\n${lines.map((line) => `${formatJobLogLine(line)}\n`).join('')}`);
  }
  const printed = logs.length > 0;
  if (values.json) printStepLines(run);
  else printSteps(run, printed);
  return printed ? 0 : 1;
}

function printStepLines(run: RunRecord): void {
  process.stdout.write(run.steps.map((step) => `${printableJson(JSON.stringify({ runId: run.runId, step }))}\n`).join(''));
}

function printSteps(run: RunRecord, afterLog: boolean): void {
  const finished = run.finishedAt === undefined ? '' : ` at ${formatInstant(run.finishedAt)}`;
  process.stdout.write(`${afterLog ? '\n' : ''}${printable(`run ${run.runId}: ${run.source}/${run.table}, ${run.mode}, ${run.status}${finished}`)}\n`);
  if (run.error !== undefined) process.stdout.write(`${printable(`error ${run.error.name}: ${run.error.message}`)}\n`);
  if (run.steps.length === 0) {
    process.stdout.write('no steps recorded\n');
    return;
  }
  printTable(
    ['step', 'started', 'finished', 'rows', 'error'],
    run.steps.map((step) => [
      step.name,
      formatInstant(step.startedAt),
      step.finishedAt === undefined ? '-' : formatInstant(step.finishedAt),
      step.rows === undefined ? '-' : String(step.rows),
      step.error === undefined ? '' : `${step.error.name}: ${step.error.message}`,
    ]),
  );
}
