import { WarehouseError } from './warehouse-error.js';

/** The process holding a warehouse, as far as the warehouse tells. */
export interface WarehouseHolder {
  readonly pid: number;
  /** The holder's program, e.g. `/usr/bin/node`. */
  readonly program: string;
}

/**
 * The warehouse is held by another process (a local DuckDB file: DuckDB lets one process open a
 * file at a time). Retryable: it opens once the holder lets go. `openWithWait` (duckdb-wait.ts)
 * waits for that, for a bounded time.
 *
 * @example new WarehouseBusy('/p/floe.duckdb', { pid: 4242, program: '/usr/bin/node' }).message
 * // 'Opening the DuckDB warehouse /p/floe.duckdb failed: another process (PID 4242, /usr/bin/node) holds it, and DuckDB lets one process open a file at a time. Run again when that process has finished.'
 */
export class WarehouseBusy extends WarehouseError {
  override readonly name: string = 'WarehouseBusy';
  /** The warehouse's own words, when it gave any. */
  readonly detail: string | undefined;

  constructor(
    /** The warehouse file. */
    readonly file: string,
    /** Null when the warehouse did not say who holds it. */
    readonly holder: WarehouseHolder | null,
    options: { cause?: unknown; waitedMs?: number; detail?: string } = {},
  ) {
    const who = holder === null ? 'another process' : `another process (PID ${holder.pid}, ${holder.program})`;
    const waited = options.waitedMs === undefined ? '' : ` floe waited ${Math.round(options.waitedMs / 1000)} s for it.`;
    const said = options.detail === undefined ? '' : ` DuckDB said: ${options.detail}`;
    super(
      `Opening the DuckDB warehouse ${file} failed: ${who} holds it, and DuckDB lets one process open a file at a time.${waited} Run again when that process has finished.${said}`,
      { retryable: true, cause: options.cause },
    );
    this.detail = options.detail;
  }
}
