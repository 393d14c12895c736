import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStateStore, type LocalStateStoreOptions } from '../../state/local.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function tempFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'floe-state-'));
}

/** A store in a fresh folder (a subfolder that does not exist yet, so creation is exercised too). */
export async function freshStore(options: LocalStateStoreOptions = {}): Promise<LocalStateStore> {
  return new LocalStateStore(join(await tempFolder(), 'state'), options);
}

/**
 * Start `source` (an ES module; `ROOT` is replaced by the repository's file URL)
 * as a child process run by tsx, with an IPC channel.
 */
export async function forkScript(source: string, args: string[]): Promise<ChildProcess> {
  const script = join(await tempFolder(), 'child.mts');
  await writeFile(script, source.replaceAll('ROOT/', new URL('../../', import.meta.url).href));
  return fork(script, args, { cwd: repoRoot, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The next IPC message from `child`. */
export function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child exited with code ${String(code)} before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
