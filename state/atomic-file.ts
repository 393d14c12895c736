import { randomBytes } from 'node:crypto';
import { closeSync, fsync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from './file-lock.js';

/**
 * The state store's files are small and in the page cache: a synchronous open, write or rename
 * costs a few microseconds, a trip through libuv's thread pool (4 threads, shared with every other
 * file and DNS call of the process) tens, and 300 tables' runs make thousands. Only fsync, which
 * waits for the disk, goes to the pool.
 */
const fsyncAsync = promisify(fsync);

const tempSuffix = '.tmp';
/** Tells this process's temp files from those of an earlier process that had the same pid (a container restarted). */
const processToken = randomBytes(4).toString('hex');
const host = (): string => hostname().replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Replace `file` with `data` so that a crash at any moment leaves either the old or the new content:
 * write a temp file in `tempFolder` (on the same file system), fsync it, rename it over `file`,
 * fsync the file's folder (so the rename itself survives a power cut). Readers never see a part.
 * The file's folder is created when missing.
 */
export async function writeFileAtomic(file: string, data: string, tempFolder: string): Promise<void> {
  const temp = join(tempFolder, `${host()}.${process.pid}.${processToken}.${randomBytes(6).toString('hex')}${tempSuffix}`);
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, data);
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  let created: string | undefined;
  try {
    created = renameCreatingFolder(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  if (created !== undefined) {
    // Each folder made here is a new entry in the one above it, which must reach the disk too.
    for (let folder = dirname(file); folder !== dirname(created); folder = dirname(folder)) await syncFolder(dirname(folder));
  }
  await syncFolder(dirname(file));
}

/** Rename, creating the target's folder when missing; returns the first folder created, if any. */
function renameCreatingFolder(from: string, to: string): string | undefined {
  try {
    renameSync(from, to);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const created = mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    return created;
  }
}

/**
 * fsync of a folder, shared: callers that ask while one runs wait for the next, which starts when
 * it ends, so every caller's rename happened before the fsync it waits for. Runs of 300 tables
 * rename into a few folders (`runs/`, a source's `runtime/`), so one fsync covers many renames.
 */
export function syncFolder(folder: string): Promise<void> {
  const running = folderSyncs.get(folder);
  if (running === undefined) return startFolderSync(folder);
  let next = nextFolderSyncs.get(folder);
  if (next === undefined) {
    next = running.catch(() => undefined).then(() => {
      nextFolderSyncs.delete(folder);
      return startFolderSync(folder);
    });
    nextFolderSyncs.set(folder, next);
  }
  return next;
}

const folderSyncs = new Map<string, Promise<void>>();
const nextFolderSyncs = new Map<string, Promise<void>>();

function startFolderSync(folder: string): Promise<void> {
  const sync = fsyncFolder(folder).finally(() => {
    if (folderSyncs.get(folder) === sync) folderSyncs.delete(folder);
  });
  folderSyncs.set(folder, sync);
  return sync;
}

async function fsyncFolder(folder: string): Promise<void> {
  const fd = openSync(folder, 'r');
  try {
    await fsyncAsync(fd);
  } catch (error) {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Delete the temp files that writers on this host left when they died (a crash between writing and
 * renaming). A live writer's files are kept: its pid is alive and, if the pid is this process's, the
 * token is this process's. Returns the names removed.
 */
export async function removeDeadWritersTempFiles(tempFolder: string): Promise<string[]> {
  const names = await readdir(tempFolder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const dead = names.filter((name) => {
    const [writerHost, pid, token] = name.split('.');
    if (!name.endsWith(tempSuffix) || writerHost !== host()) return false;
    return Number(pid) === process.pid ? token !== processToken : !isAlive(Number(pid));
  });
  await Promise.all(dead.map((name) => rm(join(tempFolder, name), { force: true })));
  return dead;
}
