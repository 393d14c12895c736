import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import type { PostgresSourceTable } from './source-table.js';

/** The job's backends reading this view, asleep in the pause. $1: `COPY%<schema>%slow_items%` (the job quotes names). */
const SLEEPING_COPY =
  "select {what} from pg_stat_activity where application_name = 'floe-extract' and query like $1 and wait_event = 'PgSleep'";

/**
 * A way to catch the extraction job in the middle of a read: the project reads the view
 * `<schema>.slow_items` over the source table, and while `paused` is set, each row with a new
 * key (every change inserts keys from 1,000,000) makes the job's COPY sleep. The updated rows have
 * small keys, so partition 0 lands its file and partition 1 is still reading when the test acts.
 */
export class PausedCopy {
  readonly view: string;

  private constructor(private readonly source: PostgresSourceTable) {
    this.view = `${source.schema}.slow_items`;
  }

  static async create(source: PostgresSourceTable): Promise<PausedCopy> {
    const schema = source.schema;
    await source.execute(`create table ${schema}.pause (paused boolean not null);
      insert into ${schema}.pause values (false);
      create function ${schema}.pause_copy(id bigint) returns boolean language plpgsql volatile as $$
      begin
        if id >= 1000000 and current_query() like 'COPY%' and (select paused from ${schema}.pause) then
          perform pg_sleep(20);
        end if;
        return true;
      end $$;
      create view ${schema}.slow_items as select * from ${schema}.items where ${schema}.pause_copy(id)`);
    return new PausedCopy(source);
  }

  async set(paused: boolean): Promise<void> {
    await this.source.query(`update ${this.source.schema}.pause set paused = $1`, [paused]);
  }

  /** Resolves true once a new Parquet file is under `rawRoot` and a floe-extract COPY sleeps in the pause. */
  async waitUntilPaused(rawRoot: string, deadlineMs: number): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    const parquetFiles = async (): Promise<number> =>
      (await readdir(rawRoot, { recursive: true }).catch(() => [])).filter((file) => file.endsWith('.parquet')).length;
    const before = await parquetFiles();
    while (Date.now() < deadline && (await parquetFiles()) === before) await sleep(25);
    while (Date.now() < deadline) {
      const sleeping = await this.source.query(SLEEPING_COPY.replace('{what}', '1'), [`COPY%${this.source.schema}%slow_items%`]);
      if (sleeping.length > 0) return true;
      await sleep(25);
    }
    return false;
  }

  /** Terminates the job's sleeping COPY backends, as a failover or a network cut would; returns how many. */
  async terminate(): Promise<number> {
    const rows = await this.source.query<{ ended: boolean }>(SLEEPING_COPY.replace('{what}', 'pg_terminate_backend(pid) as ended'), [`COPY%${this.source.schema}%slow_items%`]);
    return rows.filter((row) => row.ended).length;
  }
}
