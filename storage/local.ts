import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { parseManifest, type Manifest } from '../events/index.js';
import { batchKey, lastJobError, parseJobBatch, type JobBatch, type JobError, type RawStorage } from './raw-storage.js';

/** The raw layer in a local folder, laid out exactly as in S3. */
export class LocalRawStorage implements RawStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  manifestUrl(runId: string): string {
    return join(this.root, '_manifests', `${runId}.json`);
  }

  async readManifest(runId: string): Promise<Manifest | null> {
    const location = this.manifestUrl(runId);
    let text: string;
    try {
      text = await readFile(location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return parseManifest(JSON.parse(text) as unknown, location);
  }

  async writeBatch(batchId: string, batch: JobBatch): Promise<string> {
    const location = join(this.root, batchKey(batchId));
    await mkdir(dirname(location), { recursive: true });
    // Renamed into place whole: the job never reads half a batch.
    const partial = `${location}.${randomUUID()}.partial`;
    await writeFile(partial, JSON.stringify(batch));
    await rename(partial, location);
    return location;
  }

  async readBatch(location: string): Promise<JobBatch> {
    return parseJobBatch(await readFile(location, 'utf8'), location);
  }

  async readJobError(run: { source: string; table: string; runId: string }): Promise<JobError | null> {
    const logs = await findLocalJobLogs(this.root, run.source, run.table, run.runId);
    const newest = logs.at(-1);
    return newest === undefined ? null : lastJobError((await readFile(newest, 'utf8')).split('\n'));
  }
}

/**
 * The job's logs of one run under a local raw root, `_logs/{engine}/{database}/{table}/{YYYY-MM-DD}/{run-id}.jsonl`
 * (glue/floe_extract/layout.py), in path order: normally one. The day is the job's run time, which
 * floe does not keep, so every day folder of the table is looked at.
 */
export async function findLocalJobLogs(rawRoot: string, database: string, table: string, runId: string): Promise<string[]> {
  const logsRoot = join(rawRoot, '_logs');
  const found: string[] = [];
  for (const engine of await subfolders(logsRoot)) {
    const tableFolder = join(logsRoot, engine, database, table);
    for (const day of await subfolders(tableFolder)) {
      const names = await readdir(join(tableFolder, day));
      if (names.includes(`${runId}.jsonl`)) found.push(join(tableFolder, day, `${runId}.jsonl`));
    }
  }
  return found.sort();
}

async function subfolders(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
