import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const tempSuffix = '.tmp';

/**
 * Replace `file` with `data` so that a crash at any moment leaves either the old
 * or the new content: write a temp file in the same folder, fsync it, rename it
 * over `file`, fsync the folder (so the rename itself survives a power cut).
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const folder = dirname(file);
  const temp = join(folder, `${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}${tempSuffix}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Delete temp files a crashed writer left behind. Call it only while holding the
 * file's lock: then no live writer can own one.
 */
export async function removeLeftoverTempFiles(file: string): Promise<string[]> {
  const prefix = `${basename(file)}.`;
  const names = (await readdir(dirname(file))).filter((name) => name.startsWith(prefix) && name.endsWith(tempSuffix));
  await Promise.all(names.map((name) => rm(join(dirname(file), name), { force: true })));
  return names;
}
