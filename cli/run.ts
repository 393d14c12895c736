import { parseArgs } from 'node:util';

import { loadConfig, printable } from '../config/index.js';
import { type TableOutcome } from '../runtime/local/pipeline.js';
import { runLocally } from '../runtime/local/run.js';
import { rawTableFor } from '../warehouse/naming.js';
import { EXIT } from './error-report.js';
import { printSchemaChanges, watermarkNotes } from './run-notes.js';
import { RunProgress, type Terminal } from './run-progress.js';
import { printTable } from './table-output.js';

/** Exit code when the only failures were tables busy with another run: trying later will work. */
export const EXIT_TABLE_BUSY = EXIT.busy;

/**
 * Runs the choreography for the selected tables. Exits 0 if every one reached gold,
 * {@link EXIT_TABLE_BUSY} if the only ones that did not were busy with another run, 1 otherwise.
 */
export async function runCommand(argv: string[], terminal: Terminal = process.stderr): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      source: { type: 'string' },
      table: { type: 'string' },
      full: { type: 'boolean', default: false },
    },
  });
  const config = await loadConfig(values.config);
  const started = Date.now();
  const progress = new RunProgress(terminal);
  const outcomes = await runLocally(config, {
    filter: { source: values.source, table: values.table },
    full: values.full,
    onEvent: (event) => {
      const detail = event.detail as { source?: string; table?: string; jobName?: string };
      // GlueStarted names the job the table's engine picked (floe-extract, or floe-extract-spark).
      const job = event['detail-type'] === 'GlueStarted' && detail.jobName ? ` (${detail.jobName})` : '';
      if (detail.source && detail.table) progress.line(`${printable(`${detail.source}/${detail.table}`)}: ${event['detail-type']}${printable(job)}`);
    },
    onJobOutput: (line) => progress.jobLine(printable(line)),
  }).finally(() => progress.end());
  printSummary(outcomes, (Date.now() - started) / 1000);
  const failed = outcomes.filter((o) => o.failure !== null);
  if (failed.length === 0) return 0;
  return failed.every((o) => o.busy) ? EXIT_TABLE_BUSY : 1;
}

/** Where a run's set-aside values are: the rejects table next to the table's raw table. */
function rejectsTableOf(outcome: TableOutcome): string {
  const rejects = rawTableFor(outcome.source, `${outcome.table}__rejects`);
  return `${rejects.schema}.${rejects.name}`;
}

function resultText(outcome: TableOutcome): string {
  const notes = [
    ...engineNotes(outcome.run),
    ...(outcome.run?.rejects ? [`completed with ${outcome.run.rejects} rejects (${rejectsTableOf(outcome)})`] : []),
    ...watermarkNotes(outcome.run),
  ];
  return ['ok', ...notes].join(', ');
}

/** A run the Spark job extracted says so, and why it was chosen; the Python job's runs, the usual case, say nothing. */
export function engineNotes(run: { extractionEngine?: string | undefined; engineReason?: string | undefined } | null | undefined): string[] {
  return run?.extractionEngine === 'spark' ? [`on spark (${run.engineReason ?? 'engine: spark'})`] : [];
}

function seconds(outcome: TableOutcome): string {
  const run = outcome.run;
  if (!run?.finishedAt) return '-';
  return `${((Date.parse(run.finishedAt) - Date.parse(run.requestedAt)) / 1000).toFixed(1)} s`;
}

function printSummary(outcomes: TableOutcome[], totalSeconds: number): void {
  process.stdout.write('\n');
  printTable(
    ['table', 'mode', 'rows extracted', 'inserted', 'updated', 'deleted', 'duration', 'result'],
    outcomes.map((o) => [
      `${o.source}/${o.table}`,
      o.run?.mode ?? '-',
      String(o.run?.rowsExtracted ?? '-'),
      String(o.run?.inserted ?? '-'),
      String(o.run?.updated ?? '-'),
      // Rows gone from the source: marked or removed by delete detection (0 when none were found).
      o.run?.inserted === undefined ? '-' : String(o.run.deleted ?? 0),
      seconds(o),
      o.failure ? `FAILED ${o.failure}` : resultText(o),
    ]),
  );
  printSchemaChanges(outcomes.map((o) => ({ table: `${o.source}/${o.table}`, runId: o.runId, changes: o.run?.schemaChanges })));
  const failed = outcomes.filter((o) => o.failure !== null).length;
  process.stdout.write(`${outcomes.length} table(s), ${failed} failed, in ${totalSeconds.toFixed(1)} s\n`);
}
