import mysql from 'mysql2/promise';
import pg from 'pg';

export const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306';

/**
 * A schema or database name of this process's own: two runs of the suite at once (a person's and
 * CI's, on one machine) must not drop each other's tables.
 */
export function uniqueName(stem: string): string {
  return `${stem}_${process.pid}`;
}

/** One row's checksum, keyed by its primary key as text. */
export type RowChecksums = Map<string, string>;

/**
 * A small source table the crash tests change between runs: `id` (key and partition column),
 * `label` (text, some NULL, some non-ASCII), `amount` (decimal), `updated_at` (the incremental
 * column, microseconds). Every change moves `updated_at` forward, so an incremental run sees it.
 */
export interface SourceTable {
  readonly engine: 'postgres' | 'mysql';
  /** The connection URL the project's config names. */
  readonly url: string;
  /** The table as floe.config.yaml names it. */
  readonly table: string;
  /** (Re)creates the table with `rows` rows. */
  create(rows: number): Promise<void>;
  /** Updates `updates` existing rows (default 3) and inserts 2, all stamped later than anything before. */
  change(updates?: number): Promise<void>;
  /** md5 of each row's canonical text (see {@link CANONICAL_ROW}), computed by the source server. */
  checksums(): Promise<RowChecksums>;
  /** The largest `updated_at`, as the extraction job writes watermarks: `YYYY-MM-DD HH:MM:SS.ffffff`. */
  maxWatermark(): Promise<string>;
  /** Runs a statement on the test's own connection (setup the engine-neutral interface has no word for). */
  execute(sql: string): Promise<void>;
  drop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The canonical text of a row, the same in every database: the columns joined by `|`, NULL as
 * `∅`, decimals with their scale, timestamps to the microsecond. Each database computes md5 over
 * it itself, so a value that changed on its way to staging changes that row's checksum.
 */
export const CANONICAL_ROW = 'id | label or ∅ | amount with its scale | updated_at as YYYY-MM-DD HH:MM:SS.ffffff';

/** A counter shared by every change, so each change is stamped later and inserts new keys. */
let changes = 0;
function nextChange(): { n: number; stamp: string; ids: number[] } {
  changes += 1;
  const n = changes;
  const minutes = String(n % 60).padStart(2, '0');
  const hours = String(Math.floor(n / 60) % 24).padStart(2, '0');
  const day = String(1 + Math.floor(n / 1440)).padStart(2, '0');
  return { n, stamp: `2026-01-${day} ${hours}:${minutes}:00.${String(n).padStart(6, '0')}`, ids: [1_000_000 + 2 * n, 1_000_001 + 2 * n] };
}

/** `count` existing keys spread over the table (the last one always among them), so every partition of a run sees changes. */
function keysToUpdate(n: number, rows: number, count: number): number[] {
  return [rows, ...Array.from({ length: count - 1 }, (_, i) => 1 + ((n * 7919 + i * Math.floor(rows / count + 1)) % rows))];
}

export class PostgresSourceTable implements SourceTable {
  readonly engine = 'postgres';
  readonly table: string;
  private client: pg.Client | undefined;
  private rows = 0;

  constructor(
    readonly schema: string,
    readonly url: string = PG_URL,
  ) {
    this.table = `${schema}.items`;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client === undefined) {
      const client = new pg.Client({ connectionString: this.url });
      // A server that stops or drops the connection emits 'error'; the next query fails instead of the process.
      client.on('error', () => undefined);
      await client.connect();
      await client.query("set timezone = 'UTC'");
      this.client = client;
    }
    return this.client;
  }

  /** Forgets the connection (after the server restarted); the next call opens a new one. */
  async reconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  async execute(sql: string): Promise<void> {
    await (await this.connect()).query(sql);
  }

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await (await this.connect()).query<R>(sql, params)).rows;
  }

  async create(rows: number): Promise<void> {
    this.rows = rows;
    await this.execute(`drop schema if exists ${this.schema} cascade; create schema ${this.schema};
      create table ${this.table} (id bigint primary key, label text, amount numeric(12,2) not null, updated_at timestamp(6) not null);
      insert into ${this.table}
        select g, case when g % 17 = 0 then null when g % 5 = 0 then 'zeile ' || g || ' – größe' else 'row ' || g end,
               g * 1.25, timestamp '2025-01-01' + g * interval '1 second' + (g % 1000) * interval '1 microsecond'
        from generate_series(1, ${rows}) g`);
  }

  async change(updates = 3): Promise<void> {
    const { n, stamp, ids } = nextChange();
    const client = await this.connect();
    await client.query(`update ${this.table} set label = $1, amount = amount + 1, updated_at = $2 where id = any($3)`, [
      `changed ${n}`, stamp, keysToUpdate(n, this.rows, updates),
    ]);
    await client.query(`insert into ${this.table} values ($1, null, 0.5, $3), ($2, 'neu ✓ ' || $4::text, 99.99, $3)`, [ids[0], ids[1], stamp, n]);
  }

  async checksums(): Promise<RowChecksums> {
    const { rows } = await (await this.connect()).query<{ id: string; sum: string }>(
      `select id::text as id, md5(concat_ws('|', id::text, coalesce(label, '∅'), amount::text,
         to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US'))) as sum from ${this.table}`,
    );
    return new Map(rows.map((row) => [row.id, row.sum]));
  }

  async maxWatermark(): Promise<string> {
    const { rows } = await (await this.connect()).query<{ w: string }>(
      `select to_char(max(updated_at), 'YYYY-MM-DD HH24:MI:SS.US') as w from ${this.table}`,
    );
    return rows[0]?.w ?? '';
  }

  async drop(): Promise<void> {
    await this.execute(`drop schema if exists ${this.schema} cascade`);
  }

  async close(): Promise<void> {
    await this.reconnect();
  }
}

export class MySqlSourceTable implements SourceTable {
  readonly engine = 'mysql';
  readonly url: string;
  readonly table = 'items';
  private connection: mysql.Connection | undefined;
  private rows = 0;

  constructor(readonly database: string) {
    this.url = `${MYSQL_URL}/${database}`;
  }

  private async connect(): Promise<mysql.Connection> {
    this.connection ??= await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true, timezone: 'Z', charset: 'utf8mb4' });
    await this.connection.query("set time_zone = '+00:00'");
    return this.connection;
  }

  async execute(sql: string): Promise<void> {
    await (await this.connect()).query(sql);
  }

  async create(rows: number): Promise<void> {
    this.rows = rows;
    await this.execute(`drop database if exists ${this.database}; create database ${this.database} character set utf8mb4;
      use ${this.database};
      create table ${this.database}.items (id bigint primary key, label text, amount decimal(12,2) not null, updated_at datetime(6) not null);
      insert into ${this.database}.items
        select seq, case when seq % 17 = 0 then null when seq % 5 = 0 then concat('zeile ', seq, ' – größe') else concat('row ', seq) end,
               seq * 1.25, timestamp '2025-01-01 00:00:00' + interval seq second + interval (seq % 1000) microsecond
        from seq_1_to_${rows}`);
  }

  async change(updates = 3): Promise<void> {
    const { n, stamp, ids } = nextChange();
    const connection = await this.connect();
    const keys = keysToUpdate(n, this.rows, updates);
    await connection.query(`update ${this.database}.items set label = ?, amount = amount + 1, updated_at = ? where id in (?)`, [`changed ${n}`, stamp, keys]);
    await connection.query(`insert into ${this.database}.items values (?, null, 0.5, ?), (?, ?, 99.99, ?)`, [ids[0], stamp, ids[1], `neu ✓ ${n}`, stamp]);
  }

  async checksums(): Promise<RowChecksums> {
    const [rows] = await (await this.connect()).query(
      `select cast(id as char) as id, md5(concat_ws('|', id, coalesce(label, '∅'), amount,
         date_format(updated_at, '%Y-%m-%d %H:%i:%s.%f'))) as sum from ${this.database}.items`,
    );
    return new Map((rows as { id: string; sum: string }[]).map((row) => [row.id, row.sum]));
  }

  async maxWatermark(): Promise<string> {
    const [rows] = await (await this.connect()).query(`select date_format(max(updated_at), '%Y-%m-%d %H:%i:%s.%f') as w from ${this.database}.items`);
    return (rows as { w: string }[])[0]?.w ?? '';
  }

  async drop(): Promise<void> {
    await this.execute(`drop database if exists ${this.database}`);
  }

  async close(): Promise<void> {
    await this.connection?.end();
  }
}
