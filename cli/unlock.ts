import { parseArgs } from 'node:util';

import { loadConfig, selectTables } from '../config/index.js';
import { openStateStore } from './state-store.js';
import { formatInstant } from './time-format.js';
import { USAGE } from './usage.js';

/**
 * Frees the table lease a dead run still holds (a killed `floe run`, a lost Lambda), so the next run
 * need not wait for the lease to expire. It takes the run id, not a table, so only the run a person
 * saw in `floe status` is unlocked, never a newer one. The run is ended as failed (retryable): its
 * watermark was never committed, so the next run reads its rows again.
 *
 * Exit codes: 0 unlocked; 2 usage, config, or the run holds no lease.
 */
export async function unlockCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', default: 'floe.config.yaml' } },
  });
  const [runId, ...extra] = positionals;
  if (runId === undefined || extra.length > 0) {
    process.stderr.write(`usage: ${USAGE.unlock}\n`);
    return 2;
  }
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const state = openStateStore(config);
  for (const { source, table } of selectTables(config, {})) {
    const lease = (await state.getTableState(source.name, table.name)).activeRun;
    if (lease?.runId !== runId) continue;
    await state.releaseLease(source.name, table.name, runId);
    const run = await state.getRun(runId);
    if (run?.status === 'running') {
      const message = `unlocked by floe unlock at ${new Date().toISOString()}; the run had stopped without ending`;
      await state.finishRun(runId, 'failed', { name: 'Unlocked', message, retryable: true });
    }
    process.stdout.write(
      `unlocked ${source.name}/${table.name}: released the lease of run ${runId} ` +
        `(held since ${formatInstant(lease.since)}, expiring ${formatInstant(lease.expiresAt)})` +
        `${run?.status === 'running' ? `; run ${runId} is now failed` : ''}.\n` +
        `If a process of run ${runId} is in fact still working, stop it: it no longer holds the table.\n`,
    );
    return 0;
  }
  process.stderr.write(`floe: run ${runId} holds no table's lease in ${config.state}; nothing unlocked (\`floe status\` shows each table's active run)\n`);
  return 2;
}
