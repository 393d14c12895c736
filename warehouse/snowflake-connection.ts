import './snowflake-platform-detection.js';
import snowflake from 'snowflake-sdk';
import { toSnowflakeBinds } from './snowflake-binds.js';
import type { BoundSql } from './table-sql.js';
import { wrapSnowflakeError } from './snowflake-error.js';
import { WarehouseError } from './warehouse-error.js';

/** Key-pair (preferred) or password. Never logged, never put in an error message. */
export type SnowflakeCredentials = { readonly privateKey: string; readonly privateKeyPassphrase?: string } | { readonly password: string };

/** Where and as whom floe connects. Everything but the credentials may be logged. */
export interface SnowflakeConnectionSettings {
  /** Account identifier, e.g. `myorg-myaccount`. */
  readonly account: string;
  readonly username: string;
  /** floe's database: raw, staging, gold and floe are schemas in it. */
  readonly database: string;
  /** The virtual warehouse that runs the statements. */
  readonly warehouse?: string;
  readonly role?: string;
  readonly credentials: SnowflakeCredentials;
  /** Only for an emulator (fakesnow) or a private endpoint: host, port and protocol instead of the account's URL. */
  readonly endpoint?: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };
}

/** How long floe lets a statement run, and by when its caller must be done. */
export interface SnowflakeTimeouts {
  /**
   * STATEMENT_TIMEOUT_IN_SECONDS for the session: Snowflake cancels any statement running longer
   * (https://docs.snowflake.com/en/sql-reference/parameters#statement-timeout-in-seconds). Default
   * {@link DEFAULT_STATEMENT_TIMEOUT_SECONDS}, below the Lambda's 15 minutes.
   */
  readonly statementTimeoutSeconds?: number;
  /**
   * When the caller must be done (epoch milliseconds), or undefined for no deadline: a Lambda's
   * invocation ends at its timeout. A statement still running {@link DEADLINE_RESERVE_MS} before it
   * is cancelled from here, and none starts after that, so no statement outlives the invocation
   * that started it and runs beside the retry.
   */
  readonly deadline?: () => number | undefined;
}

/** 14 minutes: below the load-and-merge and build-gold Lambdas' 15 (infra/floe-stack.ts). */
export const DEFAULT_STATEMENT_TIMEOUT_SECONDS = 840;
/** What is kept, before a caller's deadline, to cancel a statement and roll its transaction back. */
export const DEADLINE_RESERVE_MS = 15_000;

/**
 * What every floe session sets first, with one ALTER SESSION (https://docs.snowflake.com/en/sql-reference/sql/alter-session):
 * - TIMEZONE = 'UTC': a Parquet timestamp adjusted to UTC loads with TIMESTAMP_LTZ semantics, and
 *   a TIMESTAMP_TZ column takes its offset from the session's TIMEZONE, whose default is the
 *   account's (America/Los_Angeles unless changed); `cast(x as date)` then groups by that zone
 *   (https://docs.snowflake.com/en/sql-reference/parameters#timezone,
 *   https://docs.snowflake.com/en/sql-reference/data-types-datetime#timestamp-ltz-timestamp-ntz-timestamp-tz).
 *   floe's TIMESTAMP_TZ values are therefore stored at +00:00, as on DuckDB.
 * - STATEMENT_TIMEOUT_IN_SECONDS and LOCK_TIMEOUT: no statement, nor its wait for a lock, runs
 *   past it (https://docs.snowflake.com/en/sql-reference/parameters#lock-timeout).
 * - ABORT_DETACHED_QUERY = TRUE: a statement whose client vanished (a Lambda killed mid-statement)
 *   is aborted instead of running on (https://docs.snowflake.com/en/sql-reference/parameters#abort-detached-query).
 * - The input formats at their defaults, and quoted names kept as written: an account or user may
 *   set them otherwise, and floe's casts of text (a watermark bound as text, an ARRAY element read
 *   as a date, time, timestamp or binary) and its quoted result names must read the same on every
 *   account (https://docs.snowflake.com/en/sql-reference/parameters#binary-input-format,
 *   #date-input-format, #time-input-format, #timestamp-input-format, #timestamp-type-mapping,
 *   #quoted-identifiers-ignore-case; https://docs.snowflake.com/en/sql-reference/date-time-input-output).
 */
export function sessionSettingsSql(statementTimeoutSeconds: number): string {
  const seconds = Math.max(1, Math.floor(statementTimeoutSeconds));
  return (
    `alter session set timezone = 'UTC' statement_timeout_in_seconds = ${seconds} lock_timeout = ${seconds} abort_detached_query = true ` +
    "binary_input_format = 'HEX' date_input_format = 'AUTO' time_input_format = 'AUTO' timestamp_input_format = 'AUTO' " +
    "timestamp_type_mapping = 'TIMESTAMP_NTZ' quoted_identifiers_ignore_case = false"
  );
}

/** One statement's outcome: its rows (numbers of scale 0 as bigint, other NUMBERs as exact strings) and rows changed. */
export interface SnowflakeResult {
  readonly rows: Record<string, unknown>[];
  readonly rowsAffected: number;
}

/**
 * The driver writes its own log to `snowflake.log` in the working folder by default: a user's
 * project folder. floe reports every failure itself, with Snowflake's message; the driver's lines
 * go to stderr only with FLOE_DEBUG=1.
 */
const driverLog = (message: string): void => {
  if (process.env['FLOE_DEBUG'] === '1') process.stderr.write(`snowflake-sdk: ${message}\n`);
};
snowflake.configure({ logLevel: 'ERROR', customLogger: { error: driverLog, warn: driverLog, info: driverLog, debug: driverLog, trace: driverLog } });

/**
 * One Snowflake session. Statements run one after another, because a
 * transaction belongs to the session; every statement carries the query tag
 * naming floe's run, so Snowflake's query history shows which run did what.
 */
export class SnowflakeSession {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly connection: snowflake.Connection,
    readonly settings: SnowflakeConnectionSettings,
    private readonly timeouts: SnowflakeTimeouts,
  ) {}

  /** Connects, then sets the session's time zone and timeouts ({@link sessionSettingsSql}). */
  static async open(settings: SnowflakeConnectionSettings, timeouts: SnowflakeTimeouts = {}): Promise<SnowflakeSession> {
    const auth =
      'privateKey' in settings.credentials
        ? {
            authenticator: 'SNOWFLAKE_JWT',
            privateKey: settings.credentials.privateKey,
            ...(settings.credentials.privateKeyPassphrase === undefined ? {} : { privateKeyPass: settings.credentials.privateKeyPassphrase }),
          }
        : { password: settings.credentials.password };
    const endpoint = settings.endpoint;
    const connection = snowflake.createConnection({
      account: settings.account,
      username: settings.username,
      database: settings.database,
      // The driver's default turns a NULL read as text (every NUMBER here, see fetchAsString) into 'NULL'.
      representNullAsStringNull: false,
      ...(settings.warehouse === undefined ? {} : { warehouse: settings.warehouse }),
      ...(settings.role === undefined ? {} : { role: settings.role }),
      ...auth,
      ...(endpoint === undefined
        ? {}
        : { host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol, accessUrl: `${endpoint.protocol}://${endpoint.host}:${endpoint.port}` }),
    });
    try {
      await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      throw wrapSnowflakeError(`Connecting to Snowflake account ${settings.account} as ${settings.username}`, error);
    }
    const session = new SnowflakeSession(connection, settings, timeouts);
    try {
      await session.run({ sql: sessionSettingsSql(timeouts.statementTimeoutSeconds ?? DEFAULT_STATEMENT_TIMEOUT_SECONDS), params: [] }, JSON.stringify({ app: 'floe', step: 'open' }));
    } catch (error) {
      await session.close().catch(() => undefined);
      throw wrapSnowflakeError(`Setting the time zone and timeouts of the Snowflake session in ${settings.database}`, error);
    }
    return session;
  }

  /** Runs one statement with `$n` parameters bound; `queryTag` names the run it serves. */
  run(statement: BoundSql, queryTag: string): Promise<SnowflakeResult> {
    return this.exclusive(() => this.execute(statement, queryTag));
  }

  /**
   * Runs `work` inside one transaction on this session: committed when it returns, rolled back
   * when it throws. Other callers wait, so nothing interleaves with the transaction.
   */
  transaction<T>(queryTag: string, work: (run: (statement: BoundSql) => Promise<SnowflakeResult>) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.execute({ sql: 'begin transaction', params: [] }, queryTag);
      try {
        const result = await work((statement) => this.execute(statement, queryTag));
        await this.execute({ sql: 'commit', params: [] }, queryTag);
        return result;
      } catch (error) {
        await this.execute({ sql: 'rollback', params: [] }, queryTag, { ending: true }).catch(() => undefined);
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * How long a statement may run before it is cancelled from here: until {@link DEADLINE_RESERVE_MS}
   * before the caller's deadline. A ROLLBACK (`ending`) may use the reserve. Undefined: no deadline.
   */
  private timeLeftMs(ending: boolean): number | undefined {
    const deadline = this.timeouts.deadline?.();
    if (deadline === undefined) return undefined;
    return deadline - Date.now() - (ending ? DEADLINE_RESERVE_MS / 3 : DEADLINE_RESERVE_MS);
  }

  private execute(statement: BoundSql, queryTag: string, options: { ending?: boolean } = {}): Promise<SnowflakeResult> {
    const bound = toSnowflakeBinds(statement);
    const timeLeft = this.timeLeftMs(options.ending === true);
    if (timeLeft !== undefined && timeLeft <= 0) {
      return Promise.reject(new WarehouseError(`Not starting a Snowflake statement: its caller's time is up (deadline in ${Math.round((timeLeft + DEADLINE_RESERVE_MS) / 1000)} s). A retry runs it.`, { retryable: true }));
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const executing = this.connection.execute({
        sqlText: bound.sql,
        binds: bound.params.map((value) => (typeof value === 'bigint' ? value.toString() : value)),
        parameters: { QUERY_TAG: queryTag },
        // Numbers as text, converted below: JavaScript numbers would round BIGINT keys and decimals.
        fetchAsString: ['Number'],
        complete: (error, executed, rows) => {
          if (timer !== undefined) clearTimeout(timer);
          if (error) {
            reject(error);
            return;
          }
          try {
            const exact = numberColumns(executed.getColumns() ?? []);
            resolve({ rows: (rows ?? []).map((row: Record<string, unknown>) => exactNumbers(row, exact)), rowsAffected: executed.getNumUpdatedRows() ?? 0 });
          } catch (conversion) {
            reject(new WarehouseError(`Reading the result of a Snowflake statement failed: ${String(conversion)}`, { cause: conversion }));
          }
        },
      });
      if (timeLeft !== undefined) {
        // Cancelling asks Snowflake to abort the statement (https://docs.snowflake.com/en/sql-reference/functions/system_cancel_query
        // is the same from SQL); the caller learns now, while it can still roll back and report.
        timer = setTimeout(() => {
          const cancelled = new WarehouseError(`A Snowflake statement was cancelled after ${Math.round(timeLeft / 1000)} s: its caller's time was running out. A retry runs it again.`, { retryable: true });
          executing.cancel(() => reject(cancelled));
        }, timeLeft);
      }
    });
  }
}

/** Numeric columns by name: whole NUMBERs (to bigint), floats (to number); other NUMBERs stay exact text. */
function numberColumns(columns: readonly snowflake.Column[]): Map<string, 'whole' | 'real'> {
  const kinds = new Map<string, 'whole' | 'real'>();
  for (const column of columns) {
    if (column.getType() === 'fixed' && column.getScale() === 0) kinds.set(column.getName(), 'whole');
    else if (column.getType() === 'real') kinds.set(column.getName(), 'real');
  }
  return kinds;
}

/** A FLOAT as text: digits, or one of the spellings of infinity and NaN (`Number('-inf')` would be NaN). */
function realNumber(text: string): number {
  const word = text.trim().toLowerCase().replace(/^\+/, '');
  if (word === 'inf' || word === 'infinity') return Number.POSITIVE_INFINITY;
  if (word === '-inf' || word === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function exactNumbers(row: Record<string, unknown>, numbers: ReadonlyMap<string, 'whole' | 'real'>): Record<string, unknown> {
  if (numbers.size === 0) return row;
  const converted: Record<string, unknown> = { ...row };
  for (const [name, kind] of numbers) {
    const value = converted[name];
    if (typeof value !== 'string') continue;
    if (kind === 'whole' && /^-?\d+$/.test(value)) converted[name] = BigInt(value);
    else if (kind === 'real') converted[name] = realNumber(value);
  }
  return converted;
}
