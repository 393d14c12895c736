import type { SchemaChange } from '../../events/index.js';
import { openWithWait } from '../../warehouse/duckdb-wait.js';
import type { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import type { ManifestLike, TableDescription } from '../../warehouse/table-description.js';
import type { WarehouseBusy } from '../../warehouse/warehouse-busy.js';
import type { GoldModelResult, RawLoadResult, StagingResult, Warehouse } from '../../warehouse/warehouse.js';

/** How long a step waits for a DuckDB file another `floe run` holds; FLOE_WAREHOUSE_WAIT_SECONDS changes it. */
export const WAREHOUSE_WAIT_VARIABLE = 'FLOE_WAREHOUSE_WAIT_SECONDS';
const DEFAULT_WAIT_SECONDS = 600;

export function warehouseWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[WAREHOUSE_WAIT_VARIABLE];
  return /^[0-9]+$/.test(text ?? '') ? Number(text) * 1000 : DEFAULT_WAIT_SECONDS * 1000;
}

/**
 * The local DuckDB warehouse, taken only while a step uses it: opened on a step's first call
 * (waiting, up to a bound and saying so, while another `floe run` holds the file: DuckDB lets one
 * process open it at a time) and let go when the bus has delivered the last event it has queued
 * ({@link release}). Extractions take minutes and use no warehouse, so two `floe run`s on one
 * warehouse take turns at its steps instead of the second failing.
 *
 * Calls take turns in the order made, and so does letting go: the bus delivers several tables'
 * steps at once, and one table's call must neither start on a file another is closing nor have
 * it closed under it.
 */
export class TurnTakingWarehouse implements Warehouse {
  private current: Promise<DuckDbWarehouse> | null = null;
  private turns: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly options: { waitMs: number; onWaiting?: (busy: WarehouseBusy) => void },
  ) {}

  readonly dialect = duckDbDialect;

  /** Takes the file and lets it go: WarehouseBusy when another process holds it for longer than the wait. */
  async probe(): Promise<void> {
    await this.inTurn(() => this.warehouse());
    await this.release();
  }

  /** Lets go of the file, so another process may take its turn (an in-memory warehouse is kept: it would be lost). */
  release(): Promise<void> {
    return this.inTurn(async () => {
      if (this.file === ':memory:') return;
      await this.letGo();
    });
  }

  private async letGo(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current) await (await current.catch(() => null))?.close();
  }

  /** `work` once every call made before it has ended. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turns.then(work, work);
    this.turns = result.catch(() => undefined);
    return result;
  }

  /** Runs `work` on the open warehouse, in its turn. */
  private use<T>(work: (warehouse: DuckDbWarehouse) => Promise<T>): Promise<T> {
    return this.inTurn(async () => work(await this.warehouse()));
  }

  private async warehouse(): Promise<DuckDbWarehouse> {
    this.current ??= openWithWait(this.file, this.options);
    try {
      return await this.current;
    } catch (error) {
      this.current = null;
      throw error;
    }
  }

  evolveSchema(description: TableDescription, changes: readonly SchemaChange[], runId: string): Promise<void> {
    return this.use((w) => w.evolveSchema(description, changes, runId));
  }
  loadRaw(description: TableDescription, manifest: ManifestLike, rawRoot: string): Promise<RawLoadResult> {
    return this.use((w) => w.loadRaw(description, manifest, rawRoot));
  }
  mergeStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.use((w) => w.mergeStaging(description, runId));
  }
  replaceStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.use((w) => w.replaceStaging(description, runId));
  }
  appendStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.use((w) => w.appendStaging(description, runId));
  }
  prepareDeleteDetection(description: TableDescription, runId: string): Promise<boolean> {
    return this.use((w) => w.prepareDeleteDetection(description, runId));
  }
  applyDetectedDeletes(description: TableDescription, keys: readonly (readonly string[])[], how: 'mark' | 'remove', noticedAt: string, runId: string): Promise<number> {
    return this.use((w) => w.applyDetectedDeletes(description, keys, how, noticedAt, runId));
  }
  buildGold(goldDir: string, changedTables?: readonly string[]): Promise<GoldModelResult[]> {
    return this.use((w) => w.buildGold(goldDir, changedTables));
  }
  query(sql: string, params?: readonly (string | number | bigint | boolean | null)[]): Promise<Record<string, unknown>[]> {
    return this.use((w) => w.query(sql, params));
  }
  close(): Promise<void> {
    return this.inTurn(() => this.letGo());
  }
}
