import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file so `cdk synth` works from any working directory. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
