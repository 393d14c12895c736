import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError } from './errors.js';

export interface FileLockOptions {
  /** Give up (with a retryable StateError) after waiting this long. */
  timeoutMs: number;
  /** A lock older than this whose process is dead is broken. */
  staleMs: number;
}

interface LockOwner {
  pid: number;
  hostname: string;
  createdAt: string;
  token: string;
}

/** Whether process `pid` runs on this host (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.createdAt === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock at `lockPath` (whose text we read as `seen`) is stale: older
 * than `staleMs` and its process dead on this host. A lock whose owner never got
 * to write its content is judged by the file's age alone.
 */
async function isStale(lockPath: string, seen: string, staleMs: number): Promise<boolean> {
  const owner = parseOwner(seen);
  const createdAt = owner === undefined ? (await stat(lockPath)).mtimeMs : Date.parse(owner.createdAt);
  if (Date.now() - createdAt < staleMs) return false;
  return owner === undefined || (owner.hostname === hostname() && !isAlive(owner.pid));
}

/**
 * Break a stale lock: move it aside (atomic, so only one breaker wins), and if
 * what moved is not the lock judged stale (someone broke it and re-locked in
 * between), put it back.
 */
async function breakLock(lockPath: string, seen: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  if ((await readFile(aside, 'utf8')) !== seen) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside);
}

/** The last caller queued for each lock path in this process. */
const queues = new Map<string, Promise<void>>();

/**
 * Run `fn` holding an exclusive lock: a file created with O_EXCL (`wx`) holding
 * pid, host and time. Works across processes on one machine. Callers in the same
 * process take turns in memory first, so they do not poll the file for each other.
 */
export async function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  // The wait in memory counts against the timeout too: a caller behind a stuck holder gives up in time.
  const deadline = Date.now() + options.timeoutMs;
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => { done = resolve; });
  const mine = previous.then(() => turn);
  queues.set(lockPath, mine);
  await previous;
  try {
    return await withLockFile(lockPath, options, deadline, fn);
  } finally {
    done();
    if (queues.get(lockPath) === mine) queues.delete(lockPath);
  }
}

async function withLockFile<T>(lockPath: string, options: FileLockOptions, deadline: number, fn: () => Promise<T>): Promise<T> {
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), createdAt: '', token: randomBytes(8).toString('hex') };
  let seen = '';
  for (let attempt = 0; ; attempt += 1) {
    try {
      // Synchronous: a lock is taken and dropped for every write of the state store, and these
      // calls on a small file cost microseconds where a thread-pool round trip costs tens.
      const fd = openSync(lockPath, 'wx');
      try {
        owner.createdAt = new Date().toISOString();
        writeSync(fd, JSON.stringify(owner));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    seen = await readFile(lockPath, 'utf8').catch(() => '');
    if (await isStale(lockPath, seen, options.staleMs).catch(() => false)) {
      await breakLock(lockPath, seen);
      continue;
    }
    if (Date.now() > deadline) {
      const holder = parseOwner(seen);
      const who = holder === undefined ? 'another process' : `pid ${holder.pid} on ${holder.hostname} since ${holder.createdAt}`;
      throw new StateError(`${lockPath} is held by ${who}; gave up after ${options.timeoutMs} ms (delete it if no floe process is running)`, {
        retryable: true,
      });
    }
    await sleep(2 + Math.random() * Math.min(50, 2 ** Math.min(attempt, 6)));
  }
  try {
    return await fn();
  } finally {
    let current = '';
    try {
      current = readFileSync(lockPath, 'utf8');
    } catch {
      // Gone: nothing to release.
    }
    if (parseOwner(current)?.token === owner.token) unlinkSync(lockPath);
  }
}
