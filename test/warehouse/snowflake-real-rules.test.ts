import { describeTable } from '../../warehouse/table-description.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';
import { ORDER_COLUMNS, writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';
import { SnowflakeEmulator } from './snowflake-emulator.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';
const order = (id: number, status: string, at = T1): string => `select ${id}::bigint as id, '${status}' as status, timestamptz '${at}' as updated_at`;

/**
 * Issue 15's findings, each on the emulator where it can run (test/fakesnow_server.py lists what
 * fakesnow is taught); the Snowflake rule each relies on is cited in the code it tests and in
 * snowflake-sql.test.ts (golden SQL), and `floe snowflake verify` runs the same statements on a
 * real account.
 */
describe('Warehouse: Snowflake under its documented rules, on the fakesnow emulator', () => {
  let emulator: SnowflakeEmulator;

  beforeAll(async () => {
    emulator = await SnowflakeEmulator.start();
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it("loads a run's files with one COPY and one UPDATE, Snowflake recording each row's file and position", async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1, files: [`${order(1, 'a')} union all ${order(2, 'b')}`, order(3, 'c'), `${order(4, 'd')} union all ${order(5, 'e')} union all ${order(6, 'f')}`],
    });
    const before = (await emulator.statementsSeen()).length;

    // Act
    const result = await warehouse.loadRaw(describeTable(run), run, rawRoot);

    // Assess
    const statements = (await emulator.statementsSeen()).slice(before).map((statement) => statement.sql);
    expect(result).toEqual({ rowsLoaded: 6, filesLoaded: 3, alreadyLoaded: false });
    expect(statements.filter((text) => text.startsWith('copy into'))).toHaveLength(1);
    expect(statements.filter((text) => text.startsWith('update'))).toHaveLength(1);
    const rows = await warehouse.query('select "ID" as "id", "_FLOE_FILE" as "file", "_FLOE_ROW" as "row", "_FLOE_RUN_ID" as "run" from raw.shop__orders order by "ID"');
    const path = (index: number): string => run.files[index]?.path ?? '';
    expect(rows).toEqual([
      { id: 1n, file: path(0), row: 1n, run: 'r1' },
      { id: 2n, file: path(0), row: 2n, run: 'r1' },
      { id: 3n, file: path(1), row: 1n, run: 'r1' },
      { id: 4n, file: path(2), row: 1n, run: 'r1' },
      { id: 5n, file: path(2), row: 2n, run: 'r1' },
      { id: 6n, file: path(2), row: 3n, run: 'r1' },
    ]);
    await warehouse.close();
    cleanUp();
  });

  it('breaks a tie between two versions of a key in one file by their position in it, which COPY recorded', async () => {
    // Prepare: a source key that is not unique; the later row in the file wins (_floe_row desc)
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [`${order(1, 'first')} union all ${order(1, 'second')}`] });
    await warehouse.loadRaw(describeTable(run), run, rawRoot);

    // Act
    await warehouse.mergeStaging(describeTable(run), 'r1');

    // Assess
    expect(await warehouse.query('select "STATUS" as "status" from staging.shop__orders')).toEqual([{ status: 'second' }]);
    await warehouse.close();
    cleanUp();
  });

  it('loads files of uncertain load status, and still stops at one Snowflake knows it loaded', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [order(1, 'a')] });
    const before = (await emulator.statementsSeen()).length;

    // Act
    await warehouse.loadRaw(describeTable(run), run, rawRoot);

    // Assess: fakesnow keeps load history forever, so no file of its is uncertain; the clause is sent and accepted
    const [copy] = (await emulator.statementsSeen()).slice(before).filter((statement) => statement.sql.startsWith('copy into'));
    expect(copy?.sql).toContain('load_uncertain_files = true');
    await warehouse.query('delete from floe.loaded_files');
    await expect(warehouse.loadRaw(describeTable(run), run, rawRoot)).rejects.toThrow(/Snowflake's load history says it was loaded/);
    await warehouse.close();
    cleanUp();
  });

  it('merges inside one transaction with its counts', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [`${order(1, 'a')} union all ${order(2, 'b')}`] });
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r2', startedAt: T2, files: [`${order(2, 'b2', T2)} union all ${order(3, 'c', T2)}`] });
    for (const run of [first, second]) await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.mergeStaging(describeTable(first), 'r1');
    const before = (await emulator.statementsSeen()).length;

    // Act
    const counts = await warehouse.mergeStaging(describeTable(second), 'r2');

    // Assess
    const merging = (await emulator.statementsSeen()).slice(before).map((statement) => statement.sql.split('\n')[0] ?? '');
    const begin = merging.indexOf('begin transaction');
    const merge = merging.findIndex((text) => text.startsWith('merge into'));
    expect(counts).toEqual({ inserted: 1, updated: 1, deleted: 0 });
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(merge).toBeGreaterThan(begin);
    expect(merging.indexOf('commit')).toBeGreaterThan(merge);
    await warehouse.close();
    cleanUp();
  });

  it('opens every session in UTC, with statement and lock timeouts, before anything else', async () => {
    // Prepare
    const before = (await emulator.statementsSeen()).length;

    // Act
    const { warehouse, cleanUp } = await emulator.freshWarehouse();

    // Assess: a TIMESTAMP_TZ takes the session's TIMEZONE (https://docs.snowflake.com/en/sql-reference/parameters#timezone)
    const [first] = (await emulator.statementsSeen()).slice(before);
    expect(first?.sql).toBe("alter session set timezone = 'UTC' statement_timeout_in_seconds = 840 lock_timeout = 840 abort_detached_query = true " +
      "binary_input_format = 'HEX' date_input_format = 'AUTO' time_input_format = 'AUTO' timestamp_input_format = 'AUTO' " +
      "timestamp_type_mapping = 'TIMESTAMP_NTZ' quoted_identifiers_ignore_case = false");
    expect(first?.queryTag).toBe('{"app":"floe","step":"open"}');
    await warehouse.close();
    cleanUp();
  });

  it('lands a PostgreSQL json value whose object holds a key twice', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const columns = [...ORDER_COLUMNS, { name: 'payload', arrowType: 'string', sourceType: 'json' }];
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, columns, files: [`${order(1, 'a')}, '{"a": 1, "a": 2}' as payload`] });
    await warehouse.loadRaw(describeTable(run), run, rawRoot);
    const before = (await emulator.statementsSeen()).length;

    // Act
    const counts = await warehouse.mergeStaging(describeTable(run), 'r1');

    // Assess: PARSE_JSON(…, 'd') keeps the last value (https://docs.snowflake.com/en/sql-reference/functions/parse_json);
    // fakesnow's parse_json takes duplicate keys either way, so what Snowflake keeps is checked by floe snowflake verify
    expect(counts.inserted).toBe(1);
    const insert = (await emulator.statementsSeen()).slice(before).find((statement) => statement.sql.startsWith('insert into'));
    expect(insert?.sql).toContain(`parse_json("PAYLOAD", 'd')`);
    expect(await warehouse.query('select "_FLOE_RUN_ID" as "run" from staging.shop__orders')).toEqual([{ run: 'r1' }]);
    await warehouse.close();
    cleanUp();
  });

  it('keeps edge values exact: the largest unsigned 64-bit value, an empty string, \\N as text, a column named straße', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const columns = [
      ...ORDER_COLUMNS,
      { name: 'big', arrowType: 'uint64', sourceType: 'bigint unsigned' },
      { name: 'empty', arrowType: 'string', sourceType: 'text' },
      { name: 'backslash_n', arrowType: 'string', sourceType: 'text' },
      { name: 'straße', arrowType: 'string', sourceType: 'text' },
    ];
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1, columns,
      files: [`${order(1, 'a')}, 18446744073709551615::ubigint as big, '' as empty, '\\N' as backslash_n, 'ß' as "straße" union all ${order(2, 'b')}, 0::ubigint, null, null, null`],
    });

    // Act
    await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.mergeStaging(describeTable(run), 'r1');

    // Assess
    const rows = await warehouse.query('select cast("BIG" as varchar) as "big", "EMPTY" as "empty", "BACKSLASH_N" as "n", "straße" as "s" from staging.shop__orders order by "ID"');
    expect(rows).toEqual([
      { big: '18446744073709551615', empty: '', n: '\\N', s: 'ß' },
      { big: '0', empty: null, n: null, s: null },
    ]);
    await warehouse.close();
    cleanUp();
  });

  it('stops, loading nothing, when an unsigned 64-bit column holds negative values after the COPY', async () => {
    // Prepare: the bits of 2^64 − 1 read as signed are −1; a file whose column is signed shows what such a reading would land
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const columns = [...ORDER_COLUMNS, { name: 'big', arrowType: 'uint64', sourceType: 'bigint unsigned' }];
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, columns, files: [`${order(1, 'a')}, -1::bigint as big`] });

    // Act
    const act = warehouse.loadRaw(describeTable(run), run, rawRoot);

    // Assess
    await expect(act).rejects.toThrow(WarehouseError);
    await expect(warehouse.loadRaw(describeTable(run), run, rawRoot)).rejects.toThrow('Snowflake read unsigned 64-bit column(s) big of table orders as signed');
    expect(await warehouse.query('select count(*) as "n" from raw.shop__orders')).toEqual([{ n: 0n }]);
    expect(await warehouse.query('select count(*) as "n" from floe.loaded_files')).toEqual([{ n: 0n }]);
    await warehouse.close();
    cleanUp();
  });

  it("regenerates the table's procedure when staging is created and again when the source adds a column", async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [order(1, 'a')] });
    const columns = [...ORDER_COLUMNS, { name: 'channel', arrowType: 'string', sourceType: 'text' }];
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r2', startedAt: T2, columns, files: [`${order(1, 'b', T2)}, 'web' as channel`] });
    await warehouse.loadRaw(describeTable(first), first, rawRoot);
    const kept = (await emulator.proceduresSeen()).length;

    // Act
    await warehouse.mergeStaging(describeTable(first), 'r1');
    const afterCreate = (await emulator.proceduresSeen()).slice(kept);
    await warehouse.evolveSchema(describeTable(second), [{ column: 'channel', change: 'added', to: { arrowType: 'string', sourceType: 'text' } }], 'r2');
    const afterEvolve = (await emulator.proceduresSeen()).slice(kept + afterCreate.length);

    // Assess: each regeneration keeps the grants (copy grants) and names floe's database
    expect(afterCreate).toHaveLength(1);
    expect(afterCreate[0]).toMatch(/^create or replace procedure "FLOE_TEST_\d+"\."FLOE"\."PROCESS__SHOP__ORDERS"\(run_id varchar\)\ncopy grants\n/);
    expect(afterCreate[0]).not.toContain('"CHANNEL"');
    expect(afterEvolve).toHaveLength(1);
    expect(afterEvolve[0]).toContain('"CHANNEL" = incoming."CHANNEL"');
    await warehouse.close();
    cleanUp();
  });

  it("regenerates the table's procedure, its MERGE now setting the soft-delete mark NULL, when deletes are turned on", async () => {
    // Prepare: staging and its procedure made while the table's deletes were not detected
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const first = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [order(1, 'a')] });
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r2', startedAt: T2, files: [order(1, 'b', T2)] });
    await warehouse.loadRaw(describeTable(first), first, rawRoot);
    await warehouse.mergeStaging(describeTable(first), 'r1');
    await warehouse.loadRaw(describeTable(second), second, rawRoot);
    const kept = (await emulator.proceduresSeen()).length;

    // Act: the next run's merge adds the soft-delete column
    await warehouse.mergeStaging({ ...describeTable(second), softDelete: true }, 'r2');

    // Assess
    const regenerated = (await emulator.proceduresSeen()).slice(kept);
    expect(regenerated).toHaveLength(1);
    expect(regenerated[0]).toContain('"_FLOE_DELETED_AT" = null');
    await warehouse.close();
    cleanUp();
  });

  it("says which file a PUT could not stage, loading nothing", async () => {
    // Prepare: the manifest lists a file that is not in the raw folder
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, { runId: 'r1', startedAt: T1, files: [order(1, 'a')] });
    const missing = { ...run, files: [...run.files, { path: 'PostgreSQL/shop/orders/2025-11-05/12/r1-0-9.parquet', url: '', rows: 1 }] };

    // Act
    const act = warehouse.loadRaw(describeTable(missing), missing, rawRoot);

    // Assess
    await expect(act).rejects.toThrow(/r1-0-9\.parquet/);
    expect(await warehouse.query('select count(*) as "n" from raw.shop__orders')).toEqual([{ n: 0n }]);
    await warehouse.close();
    cleanUp();
  });
});
