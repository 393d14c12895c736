import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { EventValidationError, parseManifest, type Manifest } from '../events/index.js';
import { batchKey, lastJobError, parseJobBatch, type JobBatch, type JobError, type RawStorage } from './raw-storage.js';
import { FloeError } from '../errors/floe-error.js';

/** Errors S3 gives for a wrong bucket or missing permission: retrying the same request cannot help. */
const TERMINAL_S3_ERRORS = new Set(['AccessDenied', 'NoSuchBucket', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']);

/** The HTTP status of an SDK error, when S3 answered. */
const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** S3 could not be read (other than the manifest simply not being there yet). */
export class RawStorageError extends FloeError {
  override readonly name = 'RawStorageError';

  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options);
  }
}

/** A raw root `s3://bucket/prefix` split into its bucket and key prefix (no leading or trailing slash). */
export function parseS3Root(root: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(root);
  if (!match?.[1]) {
    throw new Error(`raw root "${root}" is not an S3 location; expected s3://bucket or s3://bucket/prefix`);
  }
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export interface S3RawStorageOptions {
  client: S3Client;
  /** `s3://bucket/prefix`, the `--raw-root` the extraction job writes under. */
  root: string;
}

/**
 * The raw layer in S3, laid out exactly as {@link LocalRawStorage} lays it out in a folder.
 * Guarantees: a manifest that is not there yet reads as null; any other failure throws an error
 * naming the manifest's URL; a manifest that is there is checked against its contract.
 */
export class S3RawStorage implements RawStorage {
  readonly root: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3RawStorageOptions) {
    const { bucket, prefix } = parseS3Root(options.root);
    this.client = options.client;
    this.bucket = bucket;
    this.prefix = prefix;
    this.root = prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`;
  }

  manifestUrl(runId: string): string {
    return `s3://${this.bucket}/${this.manifestKey(runId)}`;
  }

  /**
   * Before a run extracts anything: the bucket exists and the client has a region and credentials
   * S3 accepts, else a one-line error naming what to fix. HeadBucket answers 403 both to a role
   * without s3:ListBucket on the bucket, which floe's reads and writes of known keys do not need,
   * and to credentials S3 refuses, and a HEAD answer has no body to tell them apart
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html). A GET of a key that is
   * not there names the cause in its error code (AccessDenied or NoSuchKey for a role that may
   * read, InvalidAccessKeyId, SignatureDoesNotMatch or ExpiredToken for refused credentials:
   * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
   */
  async probe(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (statusOf(error) !== 403) throw this.unreachable(error, statusOf(error) === 404 ? 'the bucket does not exist' : undefined);
      try {
        await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf('_manifests/floe-probe-no-such-run.json') }));
      } catch (probed) {
        if (!['AccessDenied', 'NoSuchKey'].includes(String((probed as { name?: unknown }).name))) throw this.unreachable(probed);
      }
    }
  }

  private unreachable(error: unknown, fix?: string): RawStorageError {
    const { name, message } = error as { name?: string; message?: string };
    const cause = fix ?? (/region/i.test(message ?? '') ? 'set AWS_REGION (or a region in your AWS profile)' : "check the machine's AWS credentials and network");
    return new RawStorageError(`raw ${this.root}: cannot reach bucket ${this.bucket} (${name ?? 'Error'}: ${message ?? 'no message'}): ${cause}; nothing was extracted`, { cause: error, retryable: false });
  }

  async readManifest(runId: string): Promise<Manifest | null> {
    const url = this.manifestUrl(runId);
    let text: string;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(runId) }));
      if (!object.Body) throw new Error('the object has no body');
      text = await object.Body.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: unknown }).name === 'NoSuchKey') return null;
      const code = (error as { name?: unknown }).name;
      const retryable = !(typeof code === 'string' && TERMINAL_S3_ERRORS.has(code));
      throw new RawStorageError(
        `could not read manifest ${url}: ${(error as Error).message}` +
          (retryable ? '' : '; check the bucket name and the role\'s s3:GetObject permission'),
        { cause: error, retryable },
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text) as unknown;
    } catch (error) {
      throw new EventValidationError(`manifest ${url}: not valid JSON`, { cause: error });
    }
    return parseManifest(raw, url);
  }

  async writeBatch(batchId: string, batch: JobBatch): Promise<string> {
    const key = this.keyOf(batchKey(batchId));
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(batch), ContentType: 'application/json' }));
    } catch (error) {
      const code = (error as { name?: unknown }).name;
      const retryable = !(typeof code === 'string' && TERMINAL_S3_ERRORS.has(code));
      throw new RawStorageError(`could not write the job batch s3://${this.bucket}/${key}: ${(error as Error).message}` +
        (retryable ? '' : "; check the bucket name and the role's s3:PutObject permission on _batches/"), { cause: error, retryable });
    }
    return `s3://${this.bucket}/${key}`;
  }

  async readBatch(location: string): Promise<JobBatch> {
    const { bucket, prefix: key } = parseS3Root(location);
    let text: string;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      text = (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      const code = (error as { name?: unknown }).name;
      throw new RawStorageError(`could not read the job batch ${location}: ${(error as Error).message}`, { cause: error, retryable: !(typeof code === 'string' && TERMINAL_S3_ERRORS.has(code)) });
    }
    return parseJobBatch(text, location);
  }

  async readJobError(run: { source: string; table: string; runId: string }): Promise<JobError | null> {
    const logs = await readS3JobLogs(this.client, this.root, run.source, run.table, run.runId);
    const newest = logs.at(-1);
    return newest === undefined ? null : lastJobError(newest.text.split('\n'));
  }

  private manifestKey(runId: string): string {
    return this.keyOf(`_manifests/${runId}.json`);
  }

  private keyOf(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

/** The job's engine folders under `_logs/` (glue/floe_extract/layout.py writes the engine's name there). */
const LOG_ENGINES = ['postgres', 'mysql'] as const;

/**
 * The extraction logs of one run under an S3 raw root (`_logs/{engine}/{database}/{table}/{day}/{run}.jsonl`),
 * found by listing the table's log folders, as `floe logs` shows them.
 */
export async function readS3JobLogs(client: S3Client, root: string, database: string, table: string, runId: string): Promise<{ url: string; text: string }[]> {
  const { bucket, prefix } = parseS3Root(root);
  const keys: string[] = [];
  for (const engine of LOG_ENGINES) {
    const folder = `${prefix ? `${prefix}/` : ''}_logs/${engine}/${database}/${table}/`;
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? '').filter((key) => key.endsWith(`/${runId}.jsonl`)));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
  const logs: { url: string; text: string }[] = [];
  for (const key of keys.sort()) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    logs.push({ url: `s3://${bucket}/${key}`, text: (await object.Body?.transformToString('utf8')) ?? '' });
  }
  return logs;
}
