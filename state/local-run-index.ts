import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileName, keyOfFileName, requestedAtOfIndexTime, type LocalLayout } from './local-layout.js';

/**
 * The local store's two run indexes, DynamoDB's byTable and byJobRunId: a small file per run in a
 * folder per table (named for the run's `requestedAt` and id, so a listing sorts without opening
 * runs) and a folder per Glue job run. An entry is written before its run is, under the table's
 * lock, so a run is never missing from its indexes; an entry whose run was never written (a crash
 * in between) or no longer matches (a run's job run id replaced) is skipped by the readers.
 */

/** One entry of a table's index, with its order key. */
export interface RunEntry {
  requestedAt: string;
  runId: string;
}

/** Add an entry; one that exists already is left. Its content, the run id, is read only when the name was cut. */
export async function addRunEntry(file: string, runId: string): Promise<void> {
  // Synchronous, as the store's other small writes (see `atomic-file.ts`).
  const write = (): void => {
    try {
      writeFileSync(file, runId, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  };
  try {
    write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(file), { recursive: true });
    write();
  }
}

async function namesIn(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The run id an entry names: from its file name, or from its content when the name was cut; null for an empty entry. */
async function runIdOf(file: string, encodedRunId: string): Promise<string | null> {
  const fromName = keyOfFileName(encodedRunId);
  if (fromName !== null) return fromName;
  const content = await readFile(file, 'utf8').catch(() => '');
  return content === '' ? null : content;
}

/** The runs of a Glue job run, by id (unordered). */
export async function runIdsOfJobRun(layout: LocalLayout, jobRunId: string): Promise<string[]> {
  const folder = layout.runsOfJobRun(jobRunId);
  const ids = await Promise.all((await namesIn(folder)).map((name) => runIdOf(join(folder, name), name)));
  return ids.filter((id): id is string => id !== null);
}

/**
 * The index entries of the runs asked for, newest first (by `requestedAt`, then run id, as DynamoDB
 * orders `listOrder`). One table's entries come from its own folder alone; without a table, every
 * table's folder of the source (or of every source) is listed. Only names are read.
 */
export async function runEntries(layout: LocalLayout, query: { source?: string | undefined; table?: string | undefined }): Promise<RunEntry[]> {
  const sources = query.source === undefined ? await namesIn(layout.runsByTable) : [fileName(query.source)];
  const folders: string[] = [];
  for (const source of sources) {
    const tables = query.table === undefined ? await namesIn(join(layout.runsByTable, source)) : [fileName(query.table)];
    folders.push(...tables.map((table) => join(layout.runsByTable, source, table)));
  }
  const entries: RunEntry[] = [];
  for (const folder of folders) {
    for (const name of await namesIn(folder)) {
      const dot = name.indexOf('.');
      const runId = await runIdOf(join(folder, name), name.slice(dot + 1));
      if (dot > 0 && runId !== null) entries.push({ requestedAt: requestedAtOfIndexTime(name.slice(0, dot)), runId });
    }
  }
  return entries.sort((a, b) => (a.requestedAt !== b.requestedAt ? (a.requestedAt < b.requestedAt ? 1 : -1) : a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
}
