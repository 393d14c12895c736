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

/**
 * A child that opens the store in `folder`, runs `prepare`, then runs `act` and dies (SIGKILL: no
 * finally, no unlock) at the first rename of a file whose path holds `dieAt` — after that file was
 * written whole to its temp file, before it replaced anything.
 */
export async function crashingWriter(folder: string, dieAt: string, prepare: string, act: string): Promise<number | null> {
  const child = await forkScript(
    `import fs from 'node:fs';
     import { syncBuiltinESMExports } from 'node:module';
     import { LocalStateStore } from 'ROOT/state/local.ts';
     const [folder, dieAt] = process.argv.slice(2);
     const store = new LocalStateStore(folder);
     ${prepare}
     const rename = fs.renameSync;
     fs.renameSync = (from, to) => {
       if (String(to).includes(dieAt)) process.kill(process.pid, 'SIGKILL');
       return rename(from, to);
     };
     syncBuiltinESMExports();
     ${act}
     process.exit(3); // not reached when the crash happened`,
    [folder, dieAt],
  );
  await exited(child);
  return child.signalCode === 'SIGKILL' ? 9 : child.exitCode;
}
