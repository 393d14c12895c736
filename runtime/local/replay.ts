import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { FloeConfig } from '../../config/index.js';
import { FloeError } from '../../errors/floe-error.js';
import { INGEST_REQUESTED, parseEvent, type FloeEvent } from '../../events/index.js';
import { openLocalPipeline, type LocalRunOptions, type TableOutcome } from './pipeline.js';
import { newRunId } from './run.js';

/** A replay that cannot be done as asked: no such event in the log, or a log that breaks its contract. */
export class ReplayError extends FloeError {
  override readonly name = 'ReplayError';
}

function eventLogOf(config: FloeConfig): string {
  return join(config.state, 'events.jsonl');
}

/**
 * `floe replay`: republishes the run's last `from` event from the event log, marked as a replay
 * (as EventBridge marks archive replays), so the steps after it run again. Replaying an
 * IngestRequested starts a new run of the same request, since one run id extracts once.
 */
export async function replayLocally(
  config: FloeConfig,
  runId: string,
  from: string,
  options: LocalRunOptions = {},
): Promise<TableOutcome> {
  const past = await findPastEvent(config, runId, from);
  const pipeline = await openLocalPipeline(config, options);
  try {
    const replayName = `floe-replay-${newRunId()}`;
    let request = { runId, source: past.detail.source, table: past.detail.table };
    if (past['detail-type'] === INGEST_REQUESTED) {
      request = { ...request, runId: newRunId() };
      const detail = { ...past.detail, runId: request.runId, publishedAt: new Date().toISOString(), requestedBy: `replay of ${runId}` };
      await pipeline.bus.publish(INGEST_REQUESTED, detail);
    } else {
      await pipeline.bus.publishEvent({ ...past, 'replay-name': replayName });
    }
    await pipeline.settle();
    return await pipeline.outcome(request);
  } finally {
    await pipeline.close();
  }
}

type RunEvent = FloeEvent & { detail: { runId: string; source: string; table: string } };

async function findPastEvent(config: FloeConfig, runId: string, from: string): Promise<RunEvent> {
  let text: string;
  try {
    text = await readFile(eventLogOf(config), 'utf8');
  } catch {
    throw new ReplayError(`no event log at ${eventLogOf(config)}: nothing has run with this state folder yet`);
  }
  const events = text.split('\n').map((line, index) => {
    if (line === '') return null;
    try {
      return parseEvent(line);
    } catch (error) {
      // Only floe writes this log, after validating each event: a line breaking its contract was
      // changed by hand or cut short by a crash. Replaying around it could replay the wrong event.
      throw new ReplayError(
        `${eventLogOf(config)} line ${index + 1}: ${(error as Error).message}; nothing was replayed. ` +
          'Repair or delete that line, then replay again.',
        { cause: error },
      );
    }
  }).filter((event): event is FloeEvent => event !== null);
  const ofRun = events.filter((e): e is RunEvent => 'runId' in e.detail && e.detail.runId === runId);
  if (ofRun.length === 0) throw new ReplayError(`no events of run ${runId} in ${eventLogOf(config)}`);
  const match = ofRun.filter((e) => e['detail-type'] === from).at(-1);
  if (!match) {
    const seen = [...new Set(ofRun.map((e) => e['detail-type']))].join(', ');
    throw new ReplayError(`run ${runId} has no ${from} event to replay (it has: ${seen})`);
  }
  return match;
}
