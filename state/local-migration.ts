import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { TableConfigSchema } from '../config/table-config.js';
import { writeFileAtomic, syncFolder } from './atomic-file.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { StateError } from './errors.js';
import { itemText, readItemText } from './local-item-file.js';
import type { LocalLayout } from './local-layout.js';
import { addRunEntry } from './local-run-index.js';
import { RunRecordSchema, TableStateSchema } from './items.js';

/** The single document floe kept before issue 20 (`FOLDER/state.json`), the same items keyed by table key and run id. */
const Version1Schema = z.object({
  version: z.literal(1),
  tableConfigs: z.record(z.string(), TableConfigSchema),
  tables: z.record(z.string(), TableStateSchema),
  runs: z.record(z.string(), RunRecordSchema),
});

/** Files written at once while migrating: enough to keep the disk busy, few enough for the file descriptor limit. */
const PARALLEL_WRITES = 32;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, items.length) }, worker));
}

/**
 * Move a version-1 `state.json` into the one-file-per-item layout, once: under the lock version 1
 * itself took (`state.json.lock`, so a floe of before issue 20 cannot write the document meanwhile),
 * every item is written whole, then `state.json` is renamed to `state.v1.json` — that rename is the
 * moment the migration happens. A crash before it leaves `state.json`, and the next open migrates
 * it again from the start, writing the same items; a second process waits for the lock, finds no
 * `state.json` and goes on. Every operation of a store waits for this, so none sees half of it.
 * Returns whether this call migrated.
 */
export async function migrateVersion1(layout: LocalLayout, lock: FileLockOptions): Promise<boolean> {
  const { file, kept } = layout.v1;
  if (!(await exists(file))) return false;
  return withFileLock(layout.v1.lock, lock, async () => {
    const text = await readItemText(file);
    if (text === null) return false;
    const doc = parseVersion1(file, text);
    await removeVersion1TempFiles(file);
    await mkdir(layout.temp, { recursive: true });
    const writes: [string, unknown][] = [
      ...Object.values(doc.tableConfigs).map((config): [string, unknown] => [layout.tableConfig(config.source, config.table), config]),
      ...Object.values(doc.tables).map((state): [string, unknown] => [layout.runtime(state.source, state.table), state]),
      ...Object.values(doc.runs).map((run): [string, unknown] => [layout.run(run.runId), run]),
    ];
    const entries = Object.values(doc.runs).flatMap((run) => [
      [layout.runOfTable(run.source, run.table, run.requestedAt, run.runId), run.runId] as const,
      ...(run.jobRunId === undefined ? [] : [[layout.runOfJobRun(run.jobRunId, run.runId), run.runId] as const]),
    ]);
    await inParallel(entries, ([entry, runId]) => addRunEntry(entry, runId));
    await inParallel(writes, ([path, item]) => writeFileAtomic(path, itemText(item), layout.temp));
    await rename(file, kept);
    await syncFolder(layout.folder);
    return true;
  });
}

function parseVersion1(file: string, text: string): z.infer<typeof Version1Schema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${file} is not valid JSON; floe never writes it in place, so restore it from a backup or delete it to start over`, { retryable: false, cause: error });
  }
  const parsed = Version1Schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StateError(`${file} is not a floe state file (${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'})`, { retryable: false, cause: parsed.error });
}

/** Temp files a version-1 writer left beside `state.json` when it died; the lock they were written under is ours now. */
async function removeVersion1TempFiles(file: string): Promise<void> {
  const prefix = `${basename(file)}.`;
  const names = (await readdir(dirname(file))).filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'));
  await Promise.all(names.map((name) => rm(join(dirname(file), name), { force: true })));
}
