import { createWriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { access, mkdir, rename } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import type { Manifest } from '../events/index.js';
import type { JobBatch, JobError, RawStorage } from './raw-storage.js';
import { RawStorageError, S3RawStorage, parseS3Root } from './s3.js';

export interface S3MirrorOptions {
  client: S3Client;
  /** `s3://bucket/prefix`, where the extraction job wrote. */
  root: string;
  /** A local folder that receives the same layout. */
  mirror: string;
}

/**
 * The raw layer in S3, read through a local folder: reading a manifest also downloads its files
 * to the same paths below `mirror`, so a warehouse that can only read local Parquet (DuckDB
 * without its network extension) loads runs that landed in S3. Snowflake reads S3 itself and
 * uses {@link S3RawStorage}.
 * Guarantees: a manifest is returned only once all its files (data and rejects) are complete on
 * disk (each is written to a temporary name and renamed); a missing manifest reads as null; a file
 * whose path leaves the mirror or whose URL is not its path under the S3 root is refused before
 * anything is copied.
 */
export class S3MirroredRawStorage implements RawStorage {
  readonly root: string;
  private readonly s3: S3RawStorage;

  constructor(private readonly options: S3MirrorOptions) {
    this.s3 = new S3RawStorage({ client: options.client, root: options.root });
    this.root = resolve(options.mirror);
  }

  manifestUrl(runId: string): string {
    return this.s3.manifestUrl(runId);
  }

  writeBatch(batchId: string, batch: JobBatch): Promise<string> {
    return this.s3.writeBatch(batchId, batch);
  }

  readBatch(location: string): Promise<JobBatch> {
    return this.s3.readBatch(location);
  }

  readJobError(run: { source: string; table: string; runId: string }): Promise<JobError | null> {
    return this.s3.readJobError(run);
  }

  async readManifest(runId: string): Promise<Manifest | null> {
    const manifest = await this.s3.readManifest(runId);
    if (manifest === null) return null;
    // Every file is checked before any is copied. The manifest's contract keeps paths in the run's
    // table folder; checked again here, where they become local paths.
    const listed = [...manifest.files, ...(manifest.rejects?.file ? [manifest.rejects.file] : [])];
    const targets = listed.map((file) => {
      const target = resolve(this.root, file.path);
      if (!target.startsWith(this.root + sep)) {
        throw new RawStorageError(`manifest of run ${runId}: file path ${JSON.stringify(file.path)} leaves the raw layout; refusing to write outside ${this.root}`, { retryable: false });
      }
      // The copy is read from the file's URL: it must be the path under this raw root, not another bucket's object.
      const expected = `${this.s3.root}/${file.path}`;
      if (file.url !== expected) {
        throw new RawStorageError(`manifest of run ${runId}: file ${JSON.stringify(file.path)} has URL ${JSON.stringify(file.url)}, not ${expected}; nothing of the run is copied`, { retryable: false });
      }
      return { url: file.url, target };
    });
    for (const { url, target } of targets) {
      // Files are renamed into place only when complete, so one that is there is the whole file.
      if (!(await exists(target))) await this.download(url, target);
    }
    return manifest;
  }

  private async download(url: string, target: string): Promise<void> {
    const { bucket, prefix: key } = parseS3Root(url);
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      await mkdir(dirname(target), { recursive: true });
      const object = await this.options.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new Error('the object has no body');
      await pipeline(object.Body as Readable, createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      throw new RawStorageError(`could not copy ${url} to ${target}: ${(error as Error).message}`, { cause: error, retryable: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
