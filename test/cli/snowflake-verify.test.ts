import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { snowflakeCommand } from '../../cli/snowflake.js';
import { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { verifyCheckedColumns } from '../../cli/verify/floe-check.js';
import { verifyStatements } from '../../cli/verify/statements.js';
import { floeEnvironmentFor, startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { captureOutput } from './helpers.js';

/**
 * `floe snowflake verify` is for a real account; on the emulator its checks run as far as fakesnow
 * goes. What fakesnow cannot do fails there, with fakesnow's own words, exactly as a real account's
 * failure would read: these are the checks a user's run on Snowflake settles.
 */
const FAILS_ON_FAKESNOW: Record<string, RegExp> = {
  // fakesnow shows no statement timeout (it has none)
  'session: STATEMENT_TIMEOUT_IN_SECONDS is 840': /is \(not shown\)/,
  // fakesnow cannot parse ALTER FILE FORMAT
  'file format: alter to floe’s options': /Parser Error/,
  // fakesnow's parse_json keeps a key twice, where Snowflake's PARSE_JSON(…, 'd') keeps the last
  'staging: doc (string, json)': /landed "\{\\"a\\":1,\\"a\\":2\}", sent "\{\\"a\\":2\}"/,
  // fakesnow's ARRAY is DuckDB JSON, whose decimal element is a double: a 38-digit NUMBER element comes back as 1e29,
  // which no longer casts to NUMBER(38,9); on Snowflake it is a NUMBER in the VARIANT (verify's wide_list settles it)
  'raw: wide_list (list<item: decimal128(38, 9)>)': /Failed to cast value to decimal: 1e29/,
  'staging: wide_list (list<item: decimal128(38, 9)>)': /Failed to cast value to decimal: 1e29/,
  'floe check: wide_list (decimal[]) prints as PostgreSQL does': /Failed to cast value to decimal: 1e29/,
  // the whole table's digest reads wide_list too
  'floe check: the rows’ digest (md5, hexadecimal, sum) equals PostgreSQL’s': /Failed to cast value to decimal: 1e29/,
  // no stored procedures in fakesnow: CREATE PROCEDURE is kept by the test server, CALL fails
  'procedure: CALL merges the second run': /call "VERIFY_DB"\."FLOE_VERIFY_[0-9A-F]{8}"\."PROCESS__STAGING"/,
  'dispatcher: CALL from another database finds the table (names qualified)': /call "VERIFY_DB"\."FLOE_VERIFY_[0-9A-F]{8}"\."PROCESS_TABLE"/,
};

describe('CLI: floe snowflake verify on the fakesnow emulator', () => {
  let server: FakesnowServer;
  let folder: string;
  let configFile: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = await startFakesnow();
    const session = await SnowflakeSession.open(server.settings('VERIFY_DB'));
    await session.run({ sql: 'create database if not exists "VERIFY_DB"', params: [] }, 'test');
    await session.close();
    folder = await mkdtemp(join(tmpdir(), 'floe-sf-verify-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, ['raw: ./raw', 'state: ./state', 'warehouse: snowflake://floe-test/VERIFY_DB?user=floe', 'sources:', '  - name: pg', '    engine: postgres', '    connection: postgresql://u@localhost/db', '    tables:', '      - name: t', '        primaryKey: [id]', ''].join('\n'));
    Object.assign(process.env, floeEnvironmentFor(server));
  });

  afterAll(async () => {
    process.env = saved;
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('runs every kind of statement floe uses in a scratch schema, one line per check, and exits 1 on any failure', async () => {
    // Act
    const { code, stdout } = await captureOutput(() => snowflakeCommand(['verify', '--config', configFile]));

    // Assess
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1).every((line) => /^(ok {6}|FAIL {4})\S/.test(line))).toBe(true);
    // A check's name may hold ': ' itself (an Arrow type's), so a failure is read by the name it is expected under.
    const failed = new Map(
      lines.filter((line) => line.startsWith('FAIL    ')).map((line) => {
        const check = Object.keys(FAILS_ON_FAKESNOW).find((name) => line === `FAIL    ${name}` || line.startsWith(`FAIL    ${name}: `)) ?? line;
        return [check, line.slice(`FAIL    ${check}: `.length)];
      }),
    );
    expect([...failed.keys()].sort()).toEqual(Object.keys(FAILS_ON_FAKESNOW).sort());
    for (const [check, detail] of failed) expect(detail).toMatch(FAILS_ON_FAKESNOW[check] ?? /never/);
    expect(lines.some((line) => /^ok {6}COPY: a run’s files in one statement/.test(line))).toBe(true);
    expect(lines.some((line) => line === 'ok      raw: u64 (uint64)')).toBe(true);
    expect(lines.some((line) => line === 'ok      raw: long_text (string)')).toBe(true);
    expect(lines.some((line) => line === 'ok      raw: straße (string)')).toBe(true);
    // PostgreSQL arrays: the Parquet LIST loads into ARRAY, each element reading back as its own type.
    const arrays = ['int_list', 'text_list', 'grid', 'flag_list', 'price_list', 'double_list', 'odd_doubles', 'real_list', 'big_list', 'time_list', 'local_list', 'day_list', 'instant_list', 'blob_list'];
    expect(lines.filter((line) => arrays.some((name) => line.startsWith(`ok      staging: ${name} (list<`)))).toHaveLength(arrays.length);
    expect(lines).toContain('ok      raw: grid (list<item: list<item: int32>>)');
    // floe check's Snowflake side: each value printed as PostgreSQL prints it, and the rows' digest PostgreSQL's.
    const checkLines = lines.filter((line) => /^(ok {6}|FAIL {4})floe check: /.test(line));
    expect(checkLines).toHaveLength(verifyCheckedColumns().length + 1 + verifyStatements({ dialect: 'snowflake', from: '' }).length);
    expect(checkLines.filter((line) => line.startsWith('ok      '))).toHaveLength(checkLines.length - Object.keys(FAILS_ON_FAKESNOW).filter((check) => check.startsWith('floe check: ')).length);
    expect(lines).toContain('ok      floe check: real_list (float[]) prints as PostgreSQL does');
    expect(lines).toContain('ok      floe check: odd_doubles (float[]) prints as PostgreSQL does');
    expect(lines).toContain('ok      raw: reform_day (date32[day])');
    // The statements floe check narrows with, each as PostgreSQL returns them; the watermark cast to the catalog's type.
    expect(lines).toContain('ok      staging catalog: the type of zoned_at, which floe check casts a watermark to: TIMESTAMP_TZ');
    expect(lines.filter((line) => /^ok {6}floe check: .*, as PostgreSQL returns them$/.test(line))).toHaveLength(verifyStatements({ dialect: 'snowflake', from: '' }).length);
    expect(lines).toContain('ok      floe check: grid (integer[][]) prints as PostgreSQL does');
    expect(lines.some((line) => line.startsWith('ok      gold: CREATE OR REPLACE … COPY GRANTS, dates of TIMESTAMP_TZ in UTC'))).toBe(true);
    expect(lines.some((line) => /^ok {6}clean up: drop schema floe_verify_[0-9a-f]{8}$/.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^${lines.length - 1} checks: ${lines.length - 1 - Object.keys(FAILS_ON_FAKESNOW).length} ok, ${Object.keys(FAILS_ON_FAKESNOW).length} FAIL, 0 skipped: report these lines`));
    expect(code).toBe(1);
  });

  it("on an s3:// raw root, checks that floe's external stage reads it, as floe run does before extracting", async () => {
    // Prepare: a stage on another location than the config's raw root
    const s3Config = join(folder, 'floe-s3.config.yaml');
    await writeFile(s3Config, ['raw: s3://floe-verify-raw/landing', 'state: ./state', 'warehouse: snowflake://floe-test/VERIFY_DB?user=floe', 'sources:', '  - name: pg', '    engine: postgres', '    connection: postgresql://u@localhost/db', '    tables:', '      - name: t', '        primaryKey: [id]', ''].join('\n'));
    const session = await SnowflakeSession.open(server.settings('VERIFY_DB'));
    await session.run({ sql: 'create schema if not exists "VERIFY_DB"."FLOE"', params: [] }, 'test');
    await session.run({ sql: `create stage if not exists "VERIFY_DB"."FLOE"."RAW_STAGE" url = 's3://floe-verify-elsewhere/'`, params: [] }, 'test');
    await session.close();

    // Act
    const { stdout } = await captureOutput(() => snowflakeCommand(['verify', '--config', s3Config]));

    // Assess
    expect(stdout.split('\n')).toContain(
      "FAIL    external stage: SHOW STAGES finds floe's stage on raw s3://floe-verify-raw/landing: raw is s3://floe-verify-raw/landing, but the external stage \"VERIFY_DB\".\"FLOE\".\"RAW_STAGE\" reads s3://floe-verify-elsewhere/: run `floe snowflake apply` with this config first, which creates it on raw: s3://floe-verify-raw/landing",
    );
  });

  it('leaves nothing behind: the scratch schema is dropped', async () => {
    // Prepare
    const session = await SnowflakeSession.open(server.settings('VERIFY_DB'));

    // Act
    const { rows } = await session.run({ sql: "select schema_name as \"s\" from information_schema.schemata where schema_name like 'FLOE_VERIFY_%'", params: [] }, 'test');
    await session.close();

    // Assess
    expect(rows).toEqual([]);
  });
});
