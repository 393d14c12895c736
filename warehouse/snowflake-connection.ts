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

/** One statement's outcome: its rows (numbers of scale 0 as bigint, other NUMBERs as exact strings) and rows changed. */
export interface SnowflakeResult {
  readonly rows: Record<string, unknown>[];
  readonly rowsAffected: number;
}

snowflake.configure({ logLevel: 'ERROR' });

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
  ) {}

  static async open(settings: SnowflakeConnectionSettings): Promise<SnowflakeSession> {
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
    return new SnowflakeSession(connection, settings);
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
        await this.execute({ sql: 'rollback', params: [] }, queryTag).catch(() => undefined);
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

  private execute(statement: BoundSql, queryTag: string): Promise<SnowflakeResult> {
    const bound = toSnowflakeBinds(statement);
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText: bound.sql,
        binds: bound.params.map((value) => (typeof value === 'bigint' ? value.toString() : value)),
        parameters: { QUERY_TAG: queryTag },
        // Numbers as text, converted below: JavaScript numbers would round BIGINT keys and decimals.
        fetchAsString: ['Number'],
        complete: (error, executed, rows) => {
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

function exactNumbers(row: Record<string, unknown>, numbers: ReadonlyMap<string, 'whole' | 'real'>): Record<string, unknown> {
  if (numbers.size === 0) return row;
  const converted: Record<string, unknown> = { ...row };
  for (const [name, kind] of numbers) {
    const value = converted[name];
    if (typeof value !== 'string') continue;
    if (kind === 'whole' && /^-?\d+$/.test(value)) converted[name] = BigInt(value);
    else if (kind === 'real') converted[name] = Number(value);
  }
  return converted;
}
