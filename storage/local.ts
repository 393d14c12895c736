import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { parseManifest, type Manifest } from '../events/index.js';
import type { RawStorage } from './raw-storage.js';

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
}
