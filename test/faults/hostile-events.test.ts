import { appendFile, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';

import { loadConfig } from '../../config/index.js';
import { EventValidationError } from '../../events/index.js';
import { openLocalPipeline } from '../../runtime/local/pipeline.js';
import { ReplayError, replayLocally } from '../../runtime/local/replay.js';
import { runLocally } from '../../runtime/local/run.js';
import { PLANTED_SECRET, hostileEvents } from './hostile-events.js';
import { eventsOf, projectIn, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * Events that break their contract, given to the local bus (the way Glue's events and replays come
 * in) and found in the event log by `floe replay`: refused with the validation error before any
 * handler runs, leaving the state, the event log, the raw folder and the warehouse as they were.
 */
const source = new PostgresSourceTable(uniqueName('floe_fault_hostile'));
let root: string;
let project: Project;

beforeAll(async () => {
  await source.create(50);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-hostile-'));
  project = projectIn(join(root, 'project'), source);
  await writeProject(project, { partitions: 1 });
});

afterAll(async () => {
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

/** Everything a run can write: the state (its runs and tables), the event log, raw files, warehouse tables and their rows. */
async function everythingWritten(): Promise<unknown> {
  const runs = await project.state.listRuns({ limit: 1000 });
  const tableStates = [await project.state.getTableState(project.sourceName, project.table)];
  const rawFiles = await readdir(project.rawRoot, { recursive: true });
  const raw = await Promise.all(rawFiles.sort().map(async (file) => {
    const info = await stat(join(project.rawRoot, file));
    return `${file} ${info.size} ${info.mtimeMs}`;
  }));
  const instance = await DuckDBInstance.create(project.warehouseFile, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const tables = (await connection.runAndReadAll("select table_schema || '.\"' || table_name || '\"' as t from information_schema.tables order by 1")).getRowObjectsJS();
  const warehouse: string[] = [];
  for (const { t } of tables) {
    const [row] = (await connection.runAndReadAll(`select count(*)::varchar as n from ${String(t)}`)).getRowObjectsJS();
    warehouse.push(`${String(t)} ${String(row?.['n'])}`);
  }
  connection.closeSync();
  instance.closeSync();
  return { runs, tables: tableStates, eventLog: await eventsOf(project), raw, warehouse };
}

describe('Hostile events', () => {
  it('are refused by the local bus with the validation error, and nothing is written', async () => {
    // Prepare: a landed run whose RawLanded the hostile events are made from
    const config = await loadConfig(project.configFile);
    const [run] = await runLocally(config);
    const rawLanded = (await eventsOf(project)).find((e) => e['detail-type'] === 'RawLanded' && e.detail.runId === run!.runId)!;
    const hostile = hostileEvents(rawLanded as unknown as Parameters<typeof hostileEvents>[0]);
    const before = await everythingWritten();
    const handled: string[] = [];

    // Act
    const refusals: unknown[] = [];
    const pipeline = await openLocalPipeline(config, { onEvent: (event) => handled.push(event['detail-type']) });
    try {
      for (const { event } of hostile) refusals.push(await pipeline.bus.publishEvent(event).then(() => 'accepted', (error: unknown) => error));
      await pipeline.settle();
    } finally {
      await pipeline.close();
    }

    // Assess
    expect(run!.failure).toBeNull();
    expect(handled).toEqual([]);
    hostile.forEach(({ name, error }, index) => {
      const refusal = refusals[index];
      expect({ name, refusal }).toEqual({ name, refusal: expect.any(EventValidationError) });
      expect({ name, message: (refusal as Error).message }).toEqual({ name, message: expect.stringMatching(new RegExp(`^${error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)) });
      expect((refusal as Error).message).not.toContain(PLANTED_SECRET);
    });
    expect(await everythingWritten()).toEqual(before);
  });

  it('found in the event log make floe replay refuse, naming the line, and replay nothing', async () => {
    // Prepare: a line of the log changed by hand
    const config = await loadConfig(project.configFile);
    const [run] = await runLocally(config);
    const rawLanded = (await eventsOf(project)).find((e) => e['detail-type'] === 'RawLanded' && e.detail.runId === run!.runId)!;
    const [breaking] = hostileEvents(rawLanded as unknown as Parameters<typeof hostileEvents>[0]);
    const log = join(project.folder, 'state', 'events.jsonl');
    await appendFile(log, `${JSON.stringify(breaking!.event)}\n`);
    const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean).length;
    const before = await everythingWritten();

    // Act
    const replay = replayLocally(config, run!.runId, 'RawLanded');

    // Assess
    await expect(replay).rejects.toThrow(ReplayError);
    await expect(replay).rejects.toThrow(
      `${log} line ${lines}: RawLanded: detail.totalRows: expected number, received string; nothing was replayed. ` +
        'Repair or delete that line, then replay again.',
    );
    expect(await everythingWritten()).toEqual(before);
  });
});
