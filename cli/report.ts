import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { loadConfig, printable, selectTables, type FloeConfig } from '../config/index.js';
import { CHECK_COMPLETED, parseEvent, type CheckCompleted } from '../events/index.js';
import { readReportData } from './report-data.js';
import { reportHtml } from './report-html.js';
import { openStateStore } from './state-store.js';

/**
 * The CheckCompleted events of the local event log, oldest first; none when the state is on AWS
 * (checks are events for subscribers there) or nothing has run. A line that is not a valid event
 * is skipped: the report shows what it can.
 */
async function localChecks(config: FloeConfig): Promise<CheckCompleted[]> {
  if (config.state.startsWith('dynamodb')) return [];
  const text = await readFile(join(config.state, 'events.jsonl'), 'utf8').catch(() => '');
  const checks: CheckCompleted[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(CHECK_COMPLETED)) continue;
    try {
      const event = parseEvent(line);
      if (event['detail-type'] === CHECK_COMPLETED) checks.push(event.detail);
    } catch {
      // Not an event floe wrote whole (a crash cut it short): left out of the report.
    }
  }
  return checks;
}

/**
 * Writes a self-contained HTML page of the selected tables: freshness and lag, the last runs with
 * rows, durations and outcome, failures with their cause, rejects, schema changes, the last check,
 * and a timeline of runs. Read from the state store alone; opens offline.
 */
export async function reportCommand(argv: string[], options: { now?: () => Date } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      source: { type: 'string' },
      table: { type: 'string' },
      out: { type: 'string', default: 'floe-report.html' },
    },
  });
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const selected = selectTables(config, { source: values.source, table: values.table });
  const now = (options.now ?? (() => new Date()))();
  const data = await readReportData(openStateStore(config), selected, await localChecks(config), now);
  const out = resolve(values.out);
  await writeFile(out, reportHtml(data));
  process.stdout.write(`${printable(out)}: ${data.tables.length} table(s), ${data.tables.reduce((sum, table) => sum + table.runs.length, 0)} run(s)\n`);
  return 0;
}
