import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../config/index.js';
import { replayLocally } from '../../runtime/local/replay.js';
import { runLocally } from '../../runtime/local/run.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { assess, problemsIn } from './assess.js';
import { eventsOf, projectIn, writeProject, type Project } from './project.js';
import { repoRoot } from '../state/helpers.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';
import { WAREHOUSE_WAIT_VARIABLE } from '../../runtime/local/turn-taking-warehouse.js';

/**
 * The warehouse refuses a step for real, as after a person changed it by hand: the raw or the
 * staging table swapped for a view over it, or a unique index on raw that the run's rows violate,
 * so DuckDB refuses the raw load or the MERGE inside the step's transaction. The run must fail with
 * IngestFailed naming the table and run, and leave the watermark and staging as they were and raw
 * without part of the run; once the fault is taken away, `floe replay <run> --from RawLanded`
 * completes the run. And the warehouse file locked by another process: floe run refuses before any
 * run starts. The runs and the
 * replay run in this process (`runLocally`, `replayLocally`: what `floe run` and `floe replay` call).
 */
const source = new PostgresSourceTable(uniqueName('floe_fault_wh'));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'floe-faults-wh-'));
});

afterAll(async () => {
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A fault in the warehouse, made and taken away with SQL on the project's DuckDB file. */
interface WarehouseFault {
  name: string;
  schema: 'raw' | 'staging';
  /** What DuckDB says when it refuses the step, `{table}` standing for the warehouse table's name. */
  refusal: string;
  /** Raw rows of the failed run left behind: none, or (MERGE failed after the load committed) all of them. */
  rawRowsLeft: 'none' | 'all';
  sql: (table: string, name: string) => { make: string[]; remove: string[] };
}

const FAULTS: WarehouseFault[] = [
  {
    name: 'the raw table swapped for a view',
    schema: 'raw',
    refusal: 'Catalog Error: {table} is not an table',
    rawRowsLeft: 'none',
    sql: (table, name) => ({
      make: [`alter table ${table} rename to "${name}_aside"`, `create view ${table} as select * from raw."${name}_aside"`],
      remove: [`drop view ${table}`, `alter table raw."${name}_aside" rename to "${name}"`],
    }),
  },
  {
    // Fails inside the INSERT, after rows of the run were written: the transaction must take them back.
    name: 'a unique index on the raw table that the run\'s updated keys violate',
    schema: 'raw',
    refusal: 'Constraint Error: Duplicate key "id: ',
    rawRowsLeft: 'none',
    sql: (table, name) => ({ make: [`create unique index "${name}_id" on ${table} (id)`], remove: [`drop index raw."${name}_id"`] }),
  },
  {
    name: 'the staging table swapped for a view',
    schema: 'staging',
    refusal: 'Binder Error: Can only delete from base table',
    rawRowsLeft: 'all',
    sql: (table, name) => ({
      make: [`alter table ${table} rename to "${name}_aside"`, `create view ${table} as select * from staging."${name}_aside"`],
      remove: [`drop view ${table}`, `alter table staging."${name}_aside" rename to "${name}"`],
    }),
  },
];

async function execute(project: Project, statements: readonly string[]): Promise<void> {
  const warehouse = await DuckDbWarehouse.open(project.warehouseFile);
  try {
    for (const statement of statements) await warehouse.query(statement);
  } finally {
    await warehouse.close();
  }
}

describe.each(FAULTS)('The warehouse refusing a step: $name', (fault) => {
  let project: Project;
  let sql: { make: string[]; remove: string[] };

  beforeAll(async () => {
    await source.create(200);
    project = projectIn(join(root, fault.name.replace(/\W+/g, '-')), source);
    await writeProject(project, { partitions: 1 });
    sql = fault.sql(`${fault.schema}."${project.warehouseTable}"`, project.warehouseTable);
  });

  it('fails the run naming the table and run, keeps the watermark and staging, and a replay of RawLanded completes it', async () => {
    // Prepare: a first run lands everything; then the source changes and the fault is made
    const config = await loadConfig(project.configFile);
    const [first] = await runLocally(config);
    const before = await assess(project);
    await source.change(4);
    await execute(project, sql.make);

    // Act
    const [failed] = await runLocally(config);
    const runId = failed!.runId;
    const ingestFailed = (await eventsOf(project)).find((e) => e['detail-type'] === 'IngestFailed' && e.detail.runId === runId);
    await execute(project, sql.remove);
    const afterFailure = await assess(project);
    const replay = await replayLocally(config, runId, 'RawLanded');
    const afterReplay = await assess(project);

    // Assess: the failure
    const table = `"${fault.schema}"."${project.warehouseTable}"`;
    const doing = fault.schema === 'raw' ? `Loading run ${runId} into ${table}` : `Merging run ${runId} into ${table}`;
    // Under Jest, DuckDB's error comes from another realm and is not `instanceof Error`, so it reads "Error: …".
    const cause = new RegExp(`^${escape(doing)} failed: (Error: )?${escape(fault.refusal.replace('{table}', project.warehouseTable))}`);
    expect(first!.failure).toBeNull();
    expect(problemsIn(before)).toEqual([]);
    expect(failed!.failure).toMatch(new RegExp(`^load-and-merge: ${cause.source.slice(1)}`));
    expect(ingestFailed?.detail).toMatchObject({ step: 'load-and-merge', error: expect.stringMatching(cause), retryable: false });
    expect(failed!.run).toMatchObject({ status: 'failed', rowsExtracted: 6 });
    expect(afterFailure.watermark).toBe(before.watermark);
    expect(afterFailure.activeRun).toBeNull();
    expect(afterFailure.stagingRows).toBe(before.stagingRows);
    expect(afterFailure.checksumMismatches).toHaveLength(6);
    expect(afterFailure.rawRowsByRun.get(runId) ?? 0).toBe(fault.rawRowsLeft === 'all' ? 6 : 0);
    expect(afterFailure.runsLoadedWrongly).toEqual([]);
    // Assess: the replay
    expect(replay.failure).toBeNull();
    expect(replay.run).toMatchObject({ status: 'succeeded', inserted: 2, updated: 4 });
    expect(problemsIn(afterReplay)).toEqual([]);
    expect(afterReplay.rawRowsByRun.get(runId)).toBe(6);
  });
});

describe('The warehouse file locked by another process', () => {
  it('fails floe run naming the file and the lock before any run starts, once it waited its limit, and the next run, once the lock is gone, lands everything', async () => {
    // Prepare: a first run; the source changes; another process (DuckDB's Python client) opens the file for writing
    await source.create(100);
    const project = projectIn(join(root, 'locked'), source);
    await writeProject(project, { partitions: 1 });
    const config = await loadConfig(project.configFile);
    await runLocally(config);
    const stateBefore = await project.state.getTableState(project.sourceName, project.table);
    const eventsBefore = (await eventsOf(project)).length;
    await source.change(2);
    const holder = spawn(join(repoRoot, '.venv', 'bin', 'python'), [
      '-c', 'import duckdb, sys; held = duckdb.connect(sys.argv[1]); print("locked", flush=True); sys.stdin.read()', project.warehouseFile,
    ], { stdio: ['pipe', 'pipe', 'inherit'] });

    // Act: floe waits for the file a second (FLOE_WAREHOUSE_WAIT_SECONDS), then gives up
    let refused: (Error & { retryable?: boolean }) | null;
    process.env[WAREHOUSE_WAIT_VARIABLE] = '1';
    try {
      await once(holder.stdout!, 'data');
      refused = await runLocally(config).then(() => null, (error: unknown) => error as Error & { retryable?: boolean });
    } finally {
      delete process.env[WAREHOUSE_WAIT_VARIABLE];
      // The holder exits when its stdin closes.
      holder.stdin!.end();
      await once(holder, 'close');
    }
    const stateAfterRefusal = await project.state.getTableState(project.sourceName, project.table);
    const eventsAfterRefusal = (await eventsOf(project)).length;
    const [recovered] = await runLocally(config);

    // Assess
    expect(refused?.message).toMatch(new RegExp(`^Opening the DuckDB warehouse ${escape(project.warehouseFile)} failed: .*Could not set lock on file`));
    expect(refused?.retryable).toBe(true);
    expect(stateAfterRefusal).toEqual(stateBefore);
    expect(eventsAfterRefusal).toBe(eventsBefore);
    expect(recovered!.failure).toBeNull();
    expect(recovered!.run).toMatchObject({ rowsExtracted: 4, inserted: 2, updated: 2 });
    expect(problemsIn(await assess(project))).toEqual([]);
  });
});
