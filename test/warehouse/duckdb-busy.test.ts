import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { openWithWait } from '../../warehouse/duckdb-wait.js';
import { WarehouseBusy } from '../../warehouse/warehouse-busy.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const HOLDER = fileURLToPath(new URL('../fixtures/warehouse/hold-warehouse.ts', import.meta.url));

/** Another process holding the file with floe's own DuckDbWarehouse, as a second `floe run` would. */
async function holdInChild(file: string): Promise<{ child: ChildProcessWithoutNullStreams; release: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, file], { stdio: 'pipe' });
  let output = '';
  const seen = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes(text)) resolve();
      };
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        check();
      });
      child.on('exit', (code) => (output.includes(text) ? resolve() : reject(new Error(`holder exited ${code} before '${text}': ${output}`))));
      check();
    });
  await seen('held');
  return {
    child,
    release: async () => {
      child.stdin.write('release\n');
      await seen('released');
    },
  };
}

describe('Warehouse: a DuckDB file another process holds', () => {
  let dir: string;
  let file: string;
  let holder: Awaited<ReturnType<typeof holdInChild>> | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-busy-'));
    file = join(dir, 'floe.duckdb');
    holder = await holdInChild(file);
  });

  afterEach(async () => {
    holder?.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('throws WarehouseBusy, retryable, naming the file and the PID that holds it', async () => {
    // Act
    const act = DuckDbWarehouse.open(file);

    // Assess
    const error = await act.then(() => null, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WarehouseBusy);
    expect(error).toBeInstanceOf(WarehouseError);
    const busy = error as WarehouseBusy;
    expect(busy.retryable).toBe(true);
    expect(busy.file).toBe(file);
    expect(busy.holder?.pid).toBe(holder?.child.pid);
    expect(busy.message).toMatch(
      new RegExp(
        `^Opening the DuckDB warehouse ${escape(file)} failed: another process \\(PID ${holder?.child.pid}, ${escape(busy.holder?.program ?? '?')}\\) holds it, ` +
          'and DuckDB lets one process open a file at a time\\. Run again when that process has finished\\. DuckDB said: IO Error: Could not set lock on file',
      ),
    );
  });

  it('opens once the holder lets go, having said once that it waits and for whom', async () => {
    // Prepare
    const waiting: WarehouseBusy[] = [];

    // Act
    const warehouse = await openWithWait(file, {
      waitMs: 30_000,
      onWaiting: (busy) => {
        waiting.push(busy);
        void holder?.release();
      },
    });

    // Assess
    expect(waiting.map((busy) => busy.holder?.pid)).toEqual([holder?.child.pid]);
    expect(await warehouse.query('select count(*) as n from floe.held_by')).toEqual([{ n: 0n }]);
    await warehouse.close();
  });

  it('gives up after the wait, with WarehouseBusy saying how long it waited', async () => {
    // Prepare
    const started = Date.now();
    let told = 0;

    // Act
    const act = openWithWait(file, { waitMs: 1_200, pollMs: 100, onWaiting: () => (told += 1) });

    // Assess
    await expect(act).rejects.toThrow(WarehouseBusy);
    await expect(openWithWait(file, { waitMs: 0 })).rejects.toThrow(`(PID ${holder?.child.pid}, `);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_200);
    expect(elapsed).toBeLessThan(10_000);
    expect(told).toBe(1);
    await expect(openWithWait(file, { waitMs: 300, pollMs: 100 })).rejects.toThrow(/floe waited 0 s for it\. Run again when that process has finished\. DuckDB said: IO Error: Could not set lock/);
  });
});
