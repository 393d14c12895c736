import { createWriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { access, mkdir, rename } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import type { Manifest } from '../events/index.js';
import type { RawStorage } from './raw-storage.js';
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
 * Guarantees: a manifest is returned only once all its files are complete on disk (each is
 * written to a temporary name and renamed); a missing manifest reads as null.
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

  async readManifest(runId: string): Promise<Manifest | null> {
    const manifest = await this.s3.readManifest(runId);
    if (manifest === null) return null;
    for (const file of manifest.files) {
      const target = resolve(this.root, file.path);
      if (!target.startsWith(this.root + sep)) {
        throw new RawStorageError(`manifest of run ${runId}: file path ${file.path} leaves the raw layout; refusing to write outside ${this.root}`, { retryable: false });
      }
      // Files are renamed into place only when complete, so one that is there is the whole file.
      if (!(await exists(target))) await this.download(file.url, target);
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
