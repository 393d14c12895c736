import { createProcessProcedureSql } from '../../warehouse/snowflake-procedure.js';
import { describeTable } from '../../warehouse/table-description.js';
import { writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';
import { orders } from './conformance/raw-and-staging.js';
import { readRows } from './conformance/rows.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { SnowflakeEmulator } from './snowflake-emulator.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';

/**
 * The SQL statements inside a generated procedure, as text: fakesnow has no stored procedures, so
 * the statements are taken out of the body and run directly, `:run_id` bound, `into :variables`
 * (Snowflake Scripting) left out. Scripting lines (`if`, `commit`, `return`, assignments) are skipped.
 */
function wrappedStatements(procedure: string): string[] {
  const body = procedure.slice(procedure.indexOf('begin transaction;') + 'begin transaction;'.length, procedure.lastIndexOf('exception'));
  return body
    .split(/;\n/)
    .map((chunk) => chunk.split('\n').filter((line) => !/^\s*(if \(.*\) then|end if)\s*$/.test(line)).join('\n').trim())
    .filter((statement) => /^(merge|insert|delete|with)\b/.test(statement))
    .map((statement) => statement.replace(/\n\s*into :[\w, :]+\n/, '\n').replaceAll(':run_id', '$1'));
}

describe('Warehouse: the statements inside the Snowflake procedures, run on fakesnow', () => {
  let emulator: SnowflakeEmulator;

  beforeAll(async () => {
    emulator = await SnowflakeEmulator.start();
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('merges a run into staging with the MERGE text of the incremental procedure', async () => {
    // Prepare
    const { warehouse, session, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [orders([1, 'new', T1], [2, 'new', T1])] });
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r2', startedAt: T2, files: [orders([1, 'paid', T2], [1, 'stale', T1], [3, 'new', T2])] });
    for (const run of [first, second]) await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.mergeStaging(describeTable(first), 'r1');
    const [insertFirstLoad, merge] = wrappedStatements(createProcessProcedureSql(describeTable(second), session.settings.database));

    // Act
    const [result] = await warehouse.query(merge ?? '', ['r2']);

    // Assess
    expect(insertFirstLoad).toMatch(/^insert into "FLOE_TEST_\d+"."STAGING"."SHOP__ORDERS"/);
    expect(result).toEqual({ 'number of rows inserted': 1n, 'number of rows updated': 1n });
    const under = { warehouse, dialect: snowflakeDialect, rawRoot, writeRun: () => Promise.reject(new Error('unused')), close: () => warehouse.close() };
    expect(await readRows(under, 'staging', ['id', 'status', '_floe_run_id'])).toEqual([
      { id: 1, status: 'paid', _floe_run_id: 'r2' },
      { id: 2, status: 'new', _floe_run_id: 'r1' },
      { id: 3, status: 'new', _floe_run_id: 'r2' },
    ]);
    await warehouse.close();
    cleanUp();
  });

  it('counts and replaces staging with the statements of the full-mode procedure', async () => {
    // Prepare
    const { warehouse, session, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const full = { mode: 'full' as const, incrementalColumn: null };
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { ...full, runId: 'f1', startedAt: T1, files: [orders([1, 'a', T1], [2, 'b', T1])] });
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { ...full, runId: 'f2', startedAt: T2, files: [orders([2, 'b2', T2], [3, 'c', T2])] });
    for (const run of [first, second]) await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.replaceStaging(describeTable(first), 'f1');
    const [insertFirstLoad, compare, remove, insert] = wrappedStatements(createProcessProcedureSql(describeTable(second), session.settings.database));

    // Act
    const [counts] = await warehouse.query(compare ?? '', ['f2']);
    await warehouse.query(remove ?? '');
    await warehouse.query(insert ?? '', ['f2']);

    // Assess
    expect(insertFirstLoad).toMatch(/^insert into "FLOE_TEST_\d+"."STAGING"."SHOP__ORDERS"/);
    expect(counts).toEqual({ INSERTED: 1n, UPDATED: 1n, DELETED: 1n });
    const under = { warehouse, dialect: snowflakeDialect, rawRoot, writeRun: () => Promise.reject(new Error('unused')), close: () => warehouse.close() };
    expect(await readRows(under, 'staging', ['id', 'status', '_floe_run_id'])).toEqual([
      { id: 2, status: 'b2', _floe_run_id: 'f2' },
      { id: 3, status: 'c', _floe_run_id: 'f2' },
    ]);
    await warehouse.close();
    cleanUp();
  });

  it('appends a run of a table without a key with the statements of its procedure, in place of the rows the run reads again', async () => {
    // Prepare: a2 reads from T1 again (a held-back watermark), so a1's row at T2 must not stay twice
    const { warehouse, session, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const keyless = { primaryKey: [] as string[] };
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { ...keyless, runId: 'a1', startedAt: T1, files: [orders([1, 'a', T1], [2, 'b', T2], [2, 'b', T2])] });
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { ...keyless, runId: 'a2', startedAt: T2, files: [orders([2, 'b', T2], [2, 'b', T2], [3, 'c', T2])] });
    for (const run of [first, second]) await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.appendStaging(describeTable(first), 'a1');
    const [compare, remove, insert] = wrappedStatements(createProcessProcedureSql(describeTable(second), session.settings.database));

    // Act
    const [counts] = await warehouse.query(compare ?? '', ['a2']);
    await warehouse.query(remove ?? '', ['a2']);
    await warehouse.query(insert ?? '', ['a2']);

    // Assess
    expect(remove).toMatch(/^delete from "FLOE_TEST_\d+"\."STAGING"\."SHOP__ORDERS"\n\s*where "UPDATED_AT" >= \(select min/);
    expect([Number(counts?.['INSERTED']), Number(counts?.['DELETED'])]).toEqual([1, 0]);
    const under = { warehouse, dialect: snowflakeDialect, rawRoot, writeRun: () => Promise.reject(new Error('unused')), close: () => warehouse.close() };
    expect(await readRows(under, 'staging', ['id', 'status', '_floe_run_id'])).toEqual([
      { id: 1, status: 'a', _floe_run_id: 'a1' },
      { id: 2, status: 'b', _floe_run_id: 'a2' },
      { id: 2, status: 'b', _floe_run_id: 'a2' },
      { id: 3, status: 'c', _floe_run_id: 'a2' },
    ]);
    await warehouse.close();
    cleanUp();
  });

  it('replaces staging of a table without a key with the statements of its full-mode procedure, duplicates kept', async () => {
    // Prepare
    const { warehouse, session, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const full = { mode: 'full' as const, incrementalColumn: null, primaryKey: [] as string[] };
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { ...full, runId: 'f1', startedAt: T1, files: [orders([1, 'a', T1], [1, 'a', T1], [2, 'b', T1])] });
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { ...full, runId: 'f2', startedAt: T2, files: [orders([1, 'a', T1], [3, 'c', T2], [3, 'c', T2])] });
    for (const run of [first, second]) await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.replaceStaging(describeTable(first), 'f1');
    const [insertFirstLoad, compare, remove, insert] = wrappedStatements(createProcessProcedureSql(describeTable(second), session.settings.database));

    // Act
    const [counts] = await warehouse.query(compare ?? '', ['f2']);
    await warehouse.query(remove ?? '');
    await warehouse.query(insert ?? '', ['f2']);

    // Assess
    expect(insertFirstLoad).toMatch(/^insert into "FLOE_TEST_\d+"."STAGING"."SHOP__ORDERS"/);
    expect([Number(counts?.['INSERTED']), Number(counts?.['DELETED'])]).toEqual([2, 2]);
    const under = { warehouse, dialect: snowflakeDialect, rawRoot, writeRun: () => Promise.reject(new Error('unused')), close: () => warehouse.close() };
    expect(await readRows(under, 'staging', ['id', 'status', '_floe_run_id'])).toEqual([
      { id: 1, status: 'a', _floe_run_id: 'f2' },
      { id: 3, status: 'c', _floe_run_id: 'f2' },
      { id: 3, status: 'c', _floe_run_id: 'f2' },
    ]);
    await warehouse.close();
    cleanUp();
  });
});
