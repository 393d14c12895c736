import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { snowflakeAccountDdl } from '../../warehouse/snowflake-ddl.js';
import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { floeQueryTag } from '../../warehouse/snowflake.js';
import { describeTable } from '../../warehouse/table-description.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';
import { writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';
import { runsOnFakesnow, SnowflakeEmulator } from './snowflake-emulator.js';

const T1 = '2025-11-05T12:00:00+00:00';

/** A row of every kind of column the extraction job writes, with values that lose precision when handled carelessly. */
const TYPED_COLUMNS = [
  { name: 'id', arrowType: 'int64', sourceType: 'bigint' },
  { name: 'amount', arrowType: 'decimal128(38, 10)', sourceType: 'numeric(38,10)' },
  { name: 'local_at', arrowType: 'timestamp[us]', sourceType: 'timestamp without time zone' },
  { name: 'zoned_at', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamp with time zone' },
  { name: 'born_on', arrowType: 'date32[day]', sourceType: 'date' },
  { name: 'payload', arrowType: 'string', sourceType: 'jsonb' },
  { name: 'blob', arrowType: 'binary', sourceType: 'bytea' },
  { name: 'ok', arrowType: 'bool', sourceType: 'boolean' },
  { name: 'ratio', arrowType: 'double', sourceType: 'double precision' },
];
const TYPED_ROW = [
  'select 9007199254740993::bigint as id',
  "'1234567890123456789012345678.0123456789'::decimal(38,10) as amount",
  "timestamp '2025-11-05 12:34:56.123456' as local_at",
  "timestamptz '2025-11-05 12:34:56.654321+00' as zoned_at",
  "date '1999-12-31' as born_on",
  `'{"a": [1, 2]}' as payload`,
  "'\\xCA\\xFE'::blob as blob",
  'true as ok',
  '0.1::double as ratio',
].join(', ');
/** The timestamp and date edge values docs/types.md says land exact: the first and last microsecond and day of years 1 to 9999. */
const EDGE_ROW =
  "select 2::bigint, 0::decimal(38,10), timestamp '0001-01-01 00:00:00.000001', timestamptz '9999-12-31 23:59:59.999999+00', date '0001-01-01', '{}', ''::blob, false, 0::double " +
  "union all select 3::bigint, 0::decimal(38,10), timestamp '9999-12-31 23:59:59.999999', timestamptz '0001-01-01 00:00:00.000001+00', date '9999-12-31', '{}', ''::blob, false, 0::double";

/** Microseconds since 1970-01-01 00:00:00 UTC of an ISO time with six fraction digits, computed here, not by a database. */
const epochMicros = (iso: string): bigint => {
  const [whole, fraction] = iso.split('.');
  return BigInt(Date.parse(`${whole}Z`)) * 1000n + BigInt((fraction ?? '0').padEnd(6, '0'));
};
const epochDays = (date: string): bigint => BigInt(Date.parse(`${date}T00:00:00Z`) / 86_400_000);

describe('Warehouse: SnowflakeWarehouse on the fakesnow emulator', () => {
  let emulator: SnowflakeEmulator;

  beforeAll(async () => {
    emulator = await SnowflakeEmulator.start();
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('keeps big integers, wide decimals, both timestamp kinds, dates, JSON and binary exact', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1, table: 'typed', incrementalColumn: 'zoned_at', columns: TYPED_COLUMNS, files: [`${TYPED_ROW} union all ${EDGE_ROW}`],
    });
    const description = describeTable(run);

    // Act
    await warehouse.loadRaw(description, run, rawRoot);
    await warehouse.mergeStaging(description, 'r1');

    // Assess
    const types = await warehouse.query(
      'select column_name as "name", data_type as "type", numeric_precision as "p", numeric_scale as "s" from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
      ['STAGING', 'SHOP__TYPED'],
    );
    expect(types.slice(0, TYPED_COLUMNS.length).map((row) => [row['name'], row['type'], row['p'], row['s']])).toEqual([
      ['ID', 'NUMBER', 19n, 0n],
      ['AMOUNT', 'NUMBER', 38n, 10n],
      ['LOCAL_AT', 'TIMESTAMP_NTZ', null, null],
      ['ZONED_AT', 'TIMESTAMP_TZ', null, null],
      ['BORN_ON', 'DATE', null, null],
      ['PAYLOAD', 'VARIANT', null, null],
      ['BLOB', 'BINARY', null, null],
      ['OK', 'BOOLEAN', null, null],
      ['RATIO', 'FLOAT', null, null],
    ]);
    const [row] = await warehouse.query(
      'select id as "id", cast(amount as varchar) as "amount", payload:a[1] as "second", hex_encode(blob) as "blob", ok as "ok", ratio as "ratio" from staging.shop__typed where id = 9007199254740993',
    );
    expect(row).toEqual({ id: 9007199254740993n, amount: '1234567890123456789012345678.0123456789', second: 2, blob: 'CAFE', ok: true, ratio: 0.1 });
    // Times and dates are read as whole microseconds and days since the epoch: exact in Snowflake (DATE_PART(EPOCH_MICROSECOND))
    // whatever its output formats, where the driver's JavaScript Date would keep milliseconds only.
    // What fakesnow cannot show (DuckDB underneath): it keeps no UTC offset in a TIMESTAMP_TZ, so only the instant is
    // checked; and it ignores a declared fraction precision (every TIMESTAMP keeps microseconds, DESCRIBE says (9)), so a
    // TIMESTAMP_NTZ(3) would pass here too. The six digits floe declares are therefore checked on the DDL it sends.
    const declared = description.columns.filter((column) => ['local_at', 'zoned_at', 'born_on'].includes(column.name)).map((column) => snowflakeDialect.columnType(column, 'staging'));
    expect(declared).toEqual(['TIMESTAMP_NTZ(6)', 'TIMESTAMP_TZ(6)', 'DATE']);
    const times = await warehouse.query(
      'select id as "id", date_part(epoch_microsecond, local_at) as "local_at", date_part(epoch_microsecond, zoned_at) as "zoned_at", ' +
        "datediff(day, '1970-01-01'::date, born_on) as \"born_on\" from staging.shop__typed order by id",
    );
    expect(times).toEqual([
      { id: 2n, local_at: epochMicros('0001-01-01T00:00:00.000001'), zoned_at: epochMicros('9999-12-31T23:59:59.999999'), born_on: epochDays('0001-01-01') },
      { id: 3n, local_at: epochMicros('9999-12-31T23:59:59.999999'), zoned_at: epochMicros('0001-01-01T00:00:00.000001'), born_on: epochDays('9999-12-31') },
      { id: 9007199254740993n, local_at: epochMicros('2025-11-05T12:34:56.123456'), zoned_at: epochMicros('2025-11-05T12:34:56.654321'), born_on: epochDays('1999-12-31') },
    ]);
    await warehouse.close();
    cleanUp();
  });

  it('loads Parquet LIST columns (PostgreSQL arrays) into ARRAY columns, nested lists and NULL elements kept', async () => {
    // Prepare: lists as the extraction job writes them (docs/types.md, Arrays)
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1, table: 'tagged', mode: 'full', incrementalColumn: null,
      columns: [
        { name: 'id', arrowType: 'int64', sourceType: 'bigint' },
        { name: 'tags', arrowType: 'list<item: string>', sourceType: 'text[]' },
        { name: 'grid', arrowType: 'list<item: list<item: int32>>', sourceType: 'integer[]' },
        { name: 'prices', arrowType: 'list<item: decimal128(10, 2)>', sourceType: 'numeric(10,2)[]' },
      ],
      files: [
        "select 1::bigint as id, ['a \"b\"', null, '']::varchar[] as tags, [[1, 2], [3, null]]::integer[][] as grid, [1.50, null]::decimal(10,2)[] as prices " +
          'union all select 2::bigint, []::varchar[], []::integer[][], null',
      ],
    });
    const description = describeTable(run);

    // Act
    await warehouse.loadRaw(description, run, rawRoot);
    await warehouse.mergeStaging(description, 'r1');

    // Assess
    const types = await warehouse.query('select column_name as "name", data_type as "type" from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position', ['STAGING', 'SHOP__TAGGED']);
    expect(types.slice(1, 4).map((row) => `${String(row['name'])} ${String(row['type'])}`)).toEqual(['TAGS ARRAY', 'GRID ARRAY', 'PRICES ARRAY']);
    const rows = await warehouse.query('select id as "id", to_json(tags) as "tags", to_json(grid) as "grid", prices[0]::number(10,2)::varchar as "price" from staging.shop__tagged order by id');
    expect(rows).toEqual([
      { id: 1n, tags: '["a \\"b\\"",null,""]', grid: '[[1,2],[3,null]]', price: '1.50' },
      { id: 2n, tags: '[]', grid: '[]', price: null },
    ]);
    // A second run finds the ARRAY columns as it declared them, and merges into them.
    const second = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r2', startedAt: T1, table: 'tagged', mode: 'full', incrementalColumn: null, columns: run.columns,
      files: ["select 2::bigint as id, ['x']::varchar[] as tags, [[5]]::integer[][] as grid, []::decimal(10,2)[] as prices"],
    });
    await warehouse.loadRaw(describeTable(second), second, rawRoot);
    await warehouse.replaceStaging(describeTable(second), 'r2');
    expect(await warehouse.query('select id as "id", to_json(tags) as "tags", to_json(grid) as "grid" from staging.shop__tagged order by id')).toEqual([{ id: 2n, tags: '["x"]', grid: '[[5]]' }]);
    await warehouse.close();
    cleanUp();
  });

  it('sends a query tag naming the run and step with every statement of a load and merge', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r-tagged', startedAt: T1, files: [`select 1::bigint as id, 'a' as status, timestamptz '${T1}' as updated_at`],
    });
    const before = (await emulator.statementsSeen()).length;

    // Act
    await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.mergeStaging(describeTable(run), 'r-tagged');

    // Assess
    // The driver asks again for a PUT's upload URL on its own (fakesnow's internal stage answers as
    // Google Cloud Storage does, with a presigned URL), without floe's parameters: not floe's statement.
    const statements = (await emulator.statementsSeen()).slice(before).filter((statement) => !(statement.queryTag === null && /^put 'file:\/\/[^/]/.test(statement.sql)));
    const tags = new Set(statements.map((statement) => statement.queryTag));
    expect(tags).toEqual(new Set([floeQueryTag('load-raw', 'r-tagged'), floeQueryTag('merge-staging', 'r-tagged')]));
    expect(statements.some((statement) => statement.sql.startsWith('copy into'))).toBe(true);
    expect(JSON.parse(floeQueryTag('load-raw', 'r-tagged'))).toEqual({ app: 'floe', step: 'load-raw', runId: 'r-tagged' });
    await warehouse.close();
    cleanUp();
  });

  it("refuses a file COPY's load history has seen when floe's bookkeeping lost it, instead of counting zero rows as loaded", async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1, files: [`select 1::bigint as id, 'a' as status, timestamptz '${T1}' as updated_at`],
    });
    await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.query('delete from floe.loaded_files');

    // Act
    const act = warehouse.loadRaw(describeTable(run), run, rawRoot);

    // Assess
    await expect(act).rejects.toThrow(WarehouseError);
    await expect(warehouse.loadRaw(describeTable(run), run, rawRoot)).rejects.toThrow(/COPY skipped file .* Snowflake's load history says it was loaded/);
    const [count] = await warehouse.query('select count(*) as "n" from raw.shop__orders');
    expect(count?.['n']).toBe(1n);
    await warehouse.close();
    cleanUp();
  });

  it('builds gold models written with unquoted lower-case names against the upper-cased tables', async () => {
    // Prepare
    const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1,
      files: [`select 1::bigint as id, 'paid' as status, timestamptz '${T1}' as updated_at union all select 2::bigint, 'paid', timestamptz '${T1}'`],
    });
    await warehouse.loadRaw(describeTable(run), run, rawRoot);
    await warehouse.mergeStaging(describeTable(run), 'r1');
    const goldDir = mkdtempSync(join(tmpdir(), 'floe-gold-'));
    writeFileSync(join(goldDir, 'orders_by_status.sql'), 'select status, count(*) as orders from staging.shop__orders group by status\n');
    writeFileSync(join(goldDir, 'paid_orders.sql'), "select orders from gold.orders_by_status where status = 'paid'\n");
    writeFileSync(join(goldDir, 'waits.sql'), 'select * from staging.shop__customers\n');

    // Act
    const results = await warehouse.buildGold(goldDir);

    // Assess
    expect(results.map((result) => [result.name, result.status, result.reason])).toEqual([
      ['orders_by_status', 'built', undefined],
      ['waits', 'skipped', 'waits for staging.shop__customers, which has not landed yet'],
      ['paid_orders', 'built', undefined],
    ]);
    expect(await warehouse.query('select orders as "orders" from gold.paid_orders')).toEqual([{ orders: 2n }]);
    await warehouse.close();
    rmSync(goldDir, { recursive: true, force: true });
    cleanUp();
  });

  it('applies the account DDL twice without error, tables included, apart from what fakesnow lacks', async () => {
    // Prepare
    const { warehouse, session, rawRoot, cleanUp } = await emulator.freshWarehouse();
    mkdirSync(rawRoot, { recursive: true });
    const run = await writeFixtureRun(emulator.parquetWriter, rawRoot, {
      runId: 'r1', startedAt: T1, files: [`select 1::bigint as id, 'a' as status, timestamptz '${T1}' as updated_at`],
    });
    const statements = snowflakeAccountDdl({ database: session.settings.database, rawUrl: pathToFileURL(rawRoot).href }, [describeTable(run)]);
    const runnable = statements.filter((statement) => runsOnFakesnow(statement.sql));

    // Act
    for (let pass = 0; pass < 2; pass += 1) {
      for (const statement of runnable) await session.run({ sql: statement.sql, params: [] }, floeQueryTag('apply'));
    }

    // Assess
    expect(statements.length - runnable.length).toBe(2);
    expect(await warehouse.loadRaw(describeTable(run), run, rawRoot)).toEqual({ rowsLoaded: 1, filesLoaded: 1, alreadyLoaded: false });
    await warehouse.close();
    cleanUp();
  });
});
