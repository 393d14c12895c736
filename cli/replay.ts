import { parseArgs } from 'node:util';

import { loadConfig, printable } from '../config/index.js';
import { RAW_LANDED } from '../events/index.js';
import { ReplayError, replayLocally } from '../runtime/local/replay.js';
import { USAGE } from './usage.js';

/** Republishes a past event of a run so the steps after it run again; 0 if the run then reached gold. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      from: { type: 'string', default: RAW_LANDED },
    },
  });
  const runId = positionals[0];
  if (positionals.length !== 1 || runId === undefined) {
    process.stderr.write(`usage: ${USAGE.replay}\n`);
    return 2;
  }
  const config = await loadConfig(values.config);
  try {
    const outcome = await replayLocally(config, runId, values.from, {
      onEvent: (event) => process.stderr.write(`${event['detail-type']}\n`),
      onJobOutput: (line) => process.stderr.write(`  ${printable(line)}\n`),
    });
    const label = outcome.runId === runId ? `run ${runId}` : `run ${outcome.runId} (replay of ${runId})`;
    process.stdout.write(outcome.failure ? `${printable(`${label}: FAILED ${outcome.failure}`)}\n` : `${label}: ok\n`);
    return outcome.failure ? 1 : 0;
  } catch (error) {
    if (error instanceof ReplayError) {
      process.stderr.write(`floe: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
