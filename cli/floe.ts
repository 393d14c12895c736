#!/usr/bin/env node
import { parseArgs } from 'node:util';

import { ConfigError, loadConfig } from '../config/index.js';
import { runLocally, type TableOutcome } from '../runtime/local-pipeline.js';

const USAGE = `usage: floe run [--config floe.config.yaml] [--source S] [--table T] [--full]

Not built yet: floe status, replay, discover, logs (see README.md).`;

async function run(argv: string[]): Promise<number> {
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
  const outcomes = await runLocally(config, {
    filter: { source: values.source, table: values.table },
    full: values.full,
    onEvent: (event) => {
      const d = event.detail as { source?: string; table?: string };
      if (d.source && d.table) process.stderr.write(`${d.source}/${d.table}: ${event['detail-type']}\n`);
    },
    onJobOutput: (line) => process.stderr.write(`  ${line}\n`),
  });
  printSummary(outcomes, (Date.now() - started) / 1000);
  return outcomes.every((o) => o.failure === null) ? 0 : 1;
}

function printSummary(outcomes: TableOutcome[], seconds: number): void {
  const rows = outcomes.map((o) => [
    `${o.source}/${o.table}`,
    o.run?.mode ?? '-',
    String(o.run?.rowsExtracted ?? '-'),
    `${o.run?.inserted ?? '-'}/${o.run?.updated ?? '-'}`,
    o.failure ? `FAILED ${o.failure}` : 'ok',
  ]);
  const header = ['table', 'mode', 'rows extracted', 'inserted/updated', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n${outcomes.length} table(s) in ${seconds.toFixed(1)} s\n`);
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'run') return await run(rest);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`floe: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();
