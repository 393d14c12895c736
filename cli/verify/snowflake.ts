import { WAREHOUSE_SCHEMAS } from '../../warehouse/naming.js';
import type { SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { requireRawStage } from '../../warehouse/snowflake-raw-stage.js';
import { snowflakeDialectIn, snowflakeIdentifier as q } from '../../warehouse/snowflake-dialect.js';
import { INGEST_FUNCTION } from '../../warehouse/snowflake-ddl.js';
import { createProcessProcedureSql, createProcessTableProcedureSql, PROCESS_TABLE_PROCEDURE, processProcedureFor } from '../../warehouse/snowflake-procedure.js';
import { PARQUET_FORMAT_OPTIONS, quoteSnowflakeString, type SnowflakeStageNames } from '../../warehouse/snowflake-sql.js';
import { floeQueryTag, SnowflakeDriver } from '../../warehouse/snowflake.js';
import { verifyCheckLines } from './floe-check.js';
import { verifyStatementLines } from './statements.js';
import { VERIFY_COLUMNS } from './values.js';
import * as sql from '../../warehouse/table-sql.js';
import { describeTable, type ManifestLike, type TableDescription } from '../../warehouse/table-description.js';

/** One line of `floe snowflake verify`: a check, whether it passed, and Snowflake's own words when not. */
export interface VerifyCheck {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A run of the verify table, written by the caller: its manifest, relative to `rawRoot`. */
export interface VerifyRun {
  readonly manifest: ManifestLike;
  readonly rawRoot: string;
}

export interface VerifyOptions {
  readonly session: SnowflakeSession;
  /** The scratch schema's name; created, used, dropped. */
  readonly scratch: string;
  /** Two runs of the verify table: both rows, then row 2 changed. */
  readonly runs: readonly [VerifyRun, VerifyRun];
  /** The statement timeout the session was opened with. */
  readonly statementTimeoutSeconds: number;
  /** When FLOE_INGEST is configured: call it for a source that does not exist, which asks for nothing. */
  readonly ingest?: { readonly source: string };
  /** An `s3://` raw root: floe run's check that the external stage reads it, run as floe runs it. */
  readonly rawRoot?: string;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replaceAll(/\s+/g, ' ').trim();

/** Equal as floe needs: NaN is NaN, whole numbers compare whether bigint or text. */
function same(landed: unknown, sent: unknown): boolean {
  if (typeof sent === 'bigint') return landed !== null && landed !== undefined && String(landed) === String(sent);
  if (typeof sent === 'number') return Object.is(Number(landed), sent) || (Number.isNaN(sent) && Number.isNaN(Number(landed)));
  return landed === sent;
}

const shown = (value: unknown): string =>
  typeof value === 'string' && value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}… (${value.length} characters)` : typeof value === 'bigint' || typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

/**
 * The self-test a user runs on their own account: in a scratch schema, every kind of statement
 * floe runs, as floe runs it (the same generators and the same driver), each compared with what
 * it should do. Each check is one line; a failure carries Snowflake's own error text. The scratch
 * schema is dropped at the end, whatever happened.
 */
export async function verifySnowflake(options: VerifyOptions): Promise<VerifyCheck[]> {
  const { session } = options;
  const database = session.settings.database;
  const dialect = snowflakeDialectIn(database);
  const checks: VerifyCheck[] = [];
  const run = async (text: string, params: readonly (string | number | bigint | boolean | null)[] = []) => session.run({ sql: text, params }, floeQueryTag('verify'));
  const check = async (name: string, work: () => Promise<string | void>): Promise<boolean> => {
    try {
      const detail = await work();
      checks.push({ check: name, ok: true, detail: detail ?? '' });
      return true;
    } catch (error) {
      checks.push({ check: name, ok: false, detail: message(error) });
      return false;
    }
  };
  const parameter = async (name: string): Promise<string> => String((await run(`show parameters like ${quoteSnowflakeString(name)} in session`)).rows[0]?.['value'] ?? '(not shown)');

  await check('session: TIMEZONE is UTC', async () => {
    const zone = await parameter('TIMEZONE');
    if (zone !== 'UTC' && zone !== 'Etc/UTC') throw new Error(`TIMEZONE is ${zone}`);
  });
  await check(`session: STATEMENT_TIMEOUT_IN_SECONDS is ${options.statementTimeoutSeconds}`, async () => {
    const timeout = await parameter('STATEMENT_TIMEOUT_IN_SECONDS');
    if (timeout !== String(options.statementTimeoutSeconds)) throw new Error(`STATEMENT_TIMEOUT_IN_SECONDS is ${timeout}`);
  });

  const { rawRoot } = options;
  if (rawRoot !== undefined) await check(`external stage: SHOW STAGES finds floe's stage on raw ${rawRoot}`, async () => `reads ${await requireRawStage(session, rawRoot)}`);

  const scratch = options.scratch;
  if (!(await check(`scratch schema ${scratch}`, async () => void (await run(`create schema ${dialect.schemaName(scratch)}`))))) return checks;
  try {
    const names: SnowflakeStageNames = { stage: { schema: scratch, name: 'stage' }, fileFormat: { schema: scratch, name: 'parquet' }, localStage: { schema: scratch, name: 'stage' } };
    const inScratch = (description: TableDescription): TableDescription => ({ ...description, rawTable: { schema: scratch, name: 'raw' }, stagingTable: { schema: scratch, name: 'staging' } });
    const [first, second] = options.runs;
    const description = inScratch(describeTable(first.manifest));
    const driver = new SnowflakeDriver(session, { stageNames: names });
    const label = { step: 'verify', runId: first.manifest.runId };
    const alone = (statement: sql.BoundSql) => driver.run(statement, label);

    await check('file format: create', async () => void (await run(`create file format if not exists ${dialect.qualified(names.fileFormat)} type = parquet ${PARQUET_FORMAT_OPTIONS}`)));
    await check('file format: alter to floe’s options', async () => void (await run(`alter file format ${dialect.qualified(names.fileFormat)} set ${PARQUET_FORMAT_OPTIONS}`)));
    await check('raw table: create with every type', async () => void (await run(sql.createRawTableSql(dialect, description))));
    const put = await check('PUT: both runs’ files into an internal stage', async () => {
      for (const { manifest, rawRoot } of options.runs) await driver.stageFiles(alone, { description, manifest, files: manifest.files, rawRoot });
    });
    const loaded = put && (await check('COPY: a run’s files in one statement, file names and row numbers recorded, then stamped with the run', async () => {
      const landed = await driver.transaction(label, (execute) => driver.loadFiles(execute, { description, manifest: first.manifest, files: first.manifest.files, rawRoot: first.rawRoot }));
      const rows = [...landed.values()].reduce((sum, count) => sum + count, 0);
      if (rows !== first.manifest.totalRows) throw new Error(`COPY loaded ${rows} rows; the file holds ${first.manifest.totalRows}`);
      const [meta] = (await run(`select min(${q(sql.META.row)}) as "first", max(${q(sql.META.row)}) as "last", min(${q(sql.META.file)}) as "file" from ${dialect.qualified(description.rawTable)}`)).rows;
      if (String(meta?.['first']) !== '1' || String(meta?.['last']) !== String(rows)) throw new Error(`_FLOE_ROW runs ${String(meta?.['first'])}…${String(meta?.['last'])}, expected 1…${rows}`);
      if (String(meta?.['file']) !== first.manifest.files[0]?.path) throw new Error(`_FLOE_FILE is ${String(meta?.['file'])}, expected ${first.manifest.files[0]?.path ?? ''}`);
      return `${rows} rows`;
    }));
    if (loaded) await compareValues(checks, run, dialect.qualified(description.rawTable), 'raw', first.manifest.runId);

    await check('staging table: create', async () => void (await run(sql.createStagingTableSql(dialect, description))));
    const inserted = loaded && (await check('first load: INSERT of the run, in a transaction', async () => {
      const count = await driver.transaction(label, async (execute) => (await execute(sql.insertRunRowsSql(dialect, description, first.manifest.runId))).rowsAffected);
      if (count !== 2) throw new Error(`inserted ${count} rows, expected 2`);
    }));
    if (inserted) {
      await compareValues(checks, run, dialect.qualified(description.stagingTable), 'staging', first.manifest.runId);
      const thisRun = `${q(sql.META.runId)} = ${quoteSnowflakeString(first.manifest.runId)}`;
      checks.push(...(await verifyCheckLines(run, dialect.qualified(description.stagingTable), thisRun)));
      // floe check binds a watermark as its column's type in the staging catalog (check/check-table.ts).
      let watermarkType = '';
      const typed = await check('staging catalog: the type of zoned_at, which floe check casts a watermark to', async () => {
        const catalog = dialect.tableColumnsSql(description.stagingTable);
        const stored = (await run(catalog.sql, catalog.params)).rows.map((row) => dialect.storedColumn(row));
        watermarkType = stored.find((column) => dialect.nameKey(column.name) === dialect.nameKey('zoned_at'))?.type ?? '';
        if (watermarkType === '') throw new Error(`zoned_at is not in ${dialect.qualified(description.stagingTable)}`);
        return watermarkType;
      });
      if (typed) checks.push(...(await verifyStatementLines(run, dialect.qualified(description.stagingTable), thisRun, watermarkType)));
    }

    const secondLoaded = put && inserted && (await check('COPY: the second run', async () => {
      await driver.transaction({ ...label, runId: second.manifest.runId }, (execute) => driver.loadFiles(execute, { description, manifest: second.manifest, files: second.manifest.files, rawRoot: second.rawRoot }));
    }));
    if (secondLoaded) {
      await check('MERGE: the second run updates one row, in a transaction (rolled back)', async () => {
        await driver
          .transaction(label, async (execute) => {
            const changed = (await execute(sql.mergeStagingSql(dialect, description, second.manifest.runId))).rowsAffected;
            if (changed !== 1) throw new Error(`MERGE changed ${changed} rows, expected 1`);
            throw new RolledBack();
          })
          .catch((error: unknown) => {
            if (!(error instanceof RolledBack)) throw error;
          });
      });
    }
    const procedure = dialect.qualified(processProcedureFor(description, scratch));
    const created = await check('procedure: create the table’s MERGE procedure (copy grants)', async () => void (await run(createProcessProcedureSql(description, database, [], scratch))));
    if (created && secondLoaded) {
      await check('procedure: CALL merges the second run', async () => {
        const [row] = (await run(`call ${procedure}($1)`, [second.manifest.runId])).rows;
        const answer = JSON.stringify(Object.values(row ?? {})[0]);
        if (!/"updated":\s*1/.test(answer) || !/"inserted":\s*0/.test(answer)) throw new Error(`answered ${answer}, expected inserted 0, updated 1`);
        const [tricky] = (await run(`select ${q('tricky')} as "t" from ${dialect.qualified(description.stagingTable)} where ${q('id')} = 2`)).rows;
        if (tricky?.['t'] !== 'changed') throw new Error(`staging row 2 holds ${shown(tricky?.['t'])}, expected "changed"`);
        return answer;
      });
    }
    const dispatcher = dialect.qualified({ ...PROCESS_TABLE_PROCEDURE, schema: scratch });
    const dispatcherCreated = await check('dispatcher: create PROCESS_TABLE with a branch per table', async () => void (await run(createProcessTableProcedureSql([description], database, scratch))));
    if (dispatcherCreated && secondLoaded) {
      await check('dispatcher: CALL from another database finds the table (names qualified)', async () => {
        await run('use database snowflake').catch(() => undefined);
        try {
          const [row] = (await run(`call ${dispatcher}($1, $2)`, [description.stagingTable.name, second.manifest.runId])).rows;
          return JSON.stringify(Object.values(row ?? {})[0]);
        } finally {
          await run(`use database ${q(database)}`);
        }
      });
    }
    if (inserted) {
      await check('gold: CREATE OR REPLACE … COPY GRANTS, dates of TIMESTAMP_TZ in UTC', async () => {
        const select = `select cast(${q('zoned_at')} as date) as availed_on from ${dialect.qualified(description.stagingTable)} where ${q('id')} = 1`;
        await run(sql.createGoldTableSql(dialect, scratch, 'gold', select));
        await run(sql.createGoldTableSql(dialect, scratch, 'gold', select));
        const [row] = (await run(`select datediff(day, '1970-01-01'::date, availed_on) as "d" from ${dialect.qualified({ schema: scratch, name: 'gold' })}`)).rows;
        const expected = Date.parse('2025-11-06T00:00:00Z') / 86_400_000;
        if (String(row?.['d']) !== String(expected)) throw new Error(`the day is ${String(row?.['d'])} days after 1970-01-01, expected ${expected} (2025-11-06, the UTC date)`);
      });
    }
    if (options.ingest !== undefined) {
      const source = options.ingest.source;
      await check('external function: FLOE_INGEST round trip (a source that does not exist: nothing is requested)', async () => {
        const [row] = (await run(`select ${snowflakeDialectIn(database).qualified(INGEST_FUNCTION)}($1, null, null) as "answer"`, [source])).rows;
        const answer = JSON.stringify(row?.['answer']);
        if (!answer.includes(source)) throw new Error(`answered ${answer}, expected an error naming source ${source}`);
        return answer;
      });
    }
  } finally {
    await check(`clean up: drop schema ${scratch}`, async () => void (await run(`drop schema if exists ${dialect.schemaName(scratch)} cascade`)));
  }
  return checks;
}

class RolledBack extends Error {}

/** One check per column: what landed in `table` for the run, against what the file held. */
async function compareValues(
  checks: VerifyCheck[],
  run: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
  table: string,
  layer: 'raw' | 'staging',
  runId: string,
): Promise<void> {
  for (const column of VERIFY_COLUMNS) {
    const read = layer === 'staging' && column.stagingRead !== undefined ? column.stagingRead : column.read;
    const expected = layer === 'staging' && column.stagingExpected !== undefined ? column.stagingExpected : column.expected;
    const name = `${layer}: ${column.name} (${column.arrowType}${column.sourceType === 'json' ? ', json' : ''})`;
    try {
      const rows = (await run(`select ${read(q(column.name))} as "v" from ${table} where ${q(sql.META.runId)} = ${quoteSnowflakeString(runId)} order by ${q('id')}`)).rows;
      const landed = rows.map((row) => row['v']);
      const wrong = expected.flatMap((sent, index) => (same(landed[index], sent) ? [] : [`row ${index + 1}: landed ${shown(landed[index])}, sent ${shown(sent)}`]));
      checks.push({ check: name, ok: wrong.length === 0, detail: wrong.join('; ') });
    } catch (error) {
      checks.push({ check: name, ok: false, detail: message(error) });
    }
  }
}

/** The verify table's manifest for a run of its Parquet file (`path`, relative to the raw root), as the job would write it. */
export function verifyManifest(runId: string, path: string, rows: number, startedAt: string): ManifestLike {
  return {
    runId,
    database: 'floe_verify',
    table: 'types',
    mode: 'incremental',
    primaryKey: ['id'],
    incrementalColumn: 'zoned_at',
    columns: VERIFY_COLUMNS.map((column) => ({ name: column.name, arrowType: column.arrowType, sourceType: column.sourceType, nullable: true })),
    files: [{ path, url: path, rows }],
    totalRows: rows,
    startedAt,
  };
}

export const VERIFY_SCHEMA_PREFIX = `${WAREHOUSE_SCHEMAS.floe}_verify_`;
