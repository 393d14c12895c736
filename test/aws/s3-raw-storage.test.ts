import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { EventValidationError } from '../../events/index.js';
import { RawStorageError, S3RawStorage } from '../../storage/s3.js';
import { S3MirroredRawStorage } from '../../storage/s3-mirror.js';
import { manifestFixture } from '../fixtures/events/load.js';
import { startMoto, type MotoServer } from '../moto.js';

describe('Storage: S3RawStorage (moto)', () => {
  let moto: MotoServer;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'floe-raw' }));
  });

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  it('names the manifest under the root prefix', () => {
    // Prepare
    const storage = new S3RawStorage({ client: s3, root: 's3://floe-raw/raw/' });

    // Act
    const url = storage.manifestUrl('r1');

    // Assess
    expect(storage.root).toBe('s3://floe-raw/raw');
    expect(url).toBe('s3://floe-raw/raw/_manifests/r1.json');
  });

  it('reads a manifest the job uploaded', async () => {
    // Prepare
    const manifest = manifestFixture();
    const runId = String(manifest['runId']);
    await s3.send(
      new PutObjectCommand({ Bucket: 'floe-raw', Key: `raw/_manifests/${runId}.json`, Body: JSON.stringify(manifest) }),
    );
    const storage = new S3RawStorage({ client: s3, root: 's3://floe-raw/raw' });

    // Act
    const read = await storage.readManifest(runId);

    // Assess
    expect(read).toEqual(manifest);
  });

  it('reads a manifest at the bucket root when the root has no prefix', async () => {
    // Prepare
    const manifest = manifestFixture();
    manifest['runId'] = 'at-root';
    await s3.send(new PutObjectCommand({ Bucket: 'floe-raw', Key: '_manifests/at-root.json', Body: JSON.stringify(manifest) }));
    const storage = new S3RawStorage({ client: s3, root: 's3://floe-raw' });

    // Act
    const read = await storage.readManifest('at-root');

    // Assess
    expect(read?.runId).toBe('at-root');
  });

  it('returns null when the job wrote no manifest', async () => {
    // Prepare
    const storage = new S3RawStorage({ client: s3, root: 's3://floe-raw/raw' });

    // Act
    const read = await storage.readManifest('never-ran');

    // Assess
    expect(read).toBeNull();
  });

  it('throws an error naming the URL when the bucket does not exist', async () => {
    // Prepare
    const storage = new S3RawStorage({ client: s3, root: 's3://no-such-bucket/raw' });

    // Act
    const reading = storage.readManifest('r1');

    // Assess
    await expect(reading).rejects.toThrow(RawStorageError);
    await expect(reading).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('s3://no-such-bucket/raw/_manifests/r1.json') as unknown,
    });
  });

  it('throws EventValidationError naming the URL when the manifest breaks its contract', async () => {
    // Prepare
    const manifest = manifestFixture();
    manifest['totalRows'] = -1;
    await s3.send(new PutObjectCommand({ Bucket: 'floe-raw', Key: 'raw/_manifests/bad.json', Body: JSON.stringify(manifest) }));
    const storage = new S3RawStorage({ client: s3, root: 's3://floe-raw/raw' });

    // Act
    const reading = storage.readManifest('bad');

    // Assess
    await expect(reading).rejects.toThrow(EventValidationError);
    await expect(reading).rejects.toThrow(/^manifest s3:\/\/floe-raw\/raw\/_manifests\/bad\.json: totalRows/);
  });

  it('reads back the job batch it wrote, and names the location of one that is not a batch', async () => {
    // Prepare
    const storage = new S3RawStorage({ client: s3, root: 's3://floe-raw/raw' });
    const batch = { batchVersion: 1 as const, tables: [{ '--run-id': 'r-b1', '--table': 'clr.users' }, { '--run-id': 'r-b2', '--table': 'clr.orders' }] };
    await s3.send(new PutObjectCommand({ Bucket: 'floe-raw', Key: 'raw/_batches/r-broken.json', Body: '{"tables": 3}' }));

    // Act
    const location = await storage.writeBatch('r-b1', batch);

    // Assess
    expect(location).toBe('s3://floe-raw/raw/_batches/r-b1.json');
    expect(await storage.readBatch(location)).toEqual(batch);
    await expect(storage.readBatch('s3://floe-raw/raw/_batches/r-broken.json')).rejects.toThrow('job batch s3://floe-raw/raw/_batches/r-broken.json: not a batch of tables');
  });

  it('refuses a root that is not an S3 location', () => {
    // Act
    const constructing = () => new S3RawStorage({ client: s3, root: '/tmp/raw' });

    // Assess
    expect(constructing).toThrow('raw root "/tmp/raw" is not an S3 location; expected s3://bucket or s3://bucket/prefix');
  });
});

describe('Storage: S3MirroredRawStorage (moto)', () => {
  let moto: MotoServer;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'floe-mirror' }));
  });

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  async function put(runId: string, filePath: string, url = `s3://floe-mirror/${filePath}`): Promise<S3MirroredRawStorage> {
    const manifest = manifestFixture();
    manifest['runId'] = runId;
    const [file] = manifest['files'] as Record<string, unknown>[];
    manifest['files'] = [{ ...file, path: filePath, url }];
    await s3.send(new PutObjectCommand({ Bucket: 'floe-mirror', Key: `_manifests/${runId}.json`, Body: JSON.stringify(manifest) }));
    await s3.send(new PutObjectCommand({ Bucket: 'floe-mirror', Key: filePath, Body: 'PAR1 not really parquet' }));
    return new S3MirroredRawStorage({ client: s3, root: 's3://floe-mirror', mirror: await mkdtemp(join(tmpdir(), 'floe-mirror-')) });
  }

  it("copies the manifest's files below the mirror, at their layout paths", async () => {
    // Prepare
    const storage = await put('r-mirror', 'PostgreSQL/clr/floe_fixture.coupons/2025-11-05/12/r-mirror-0.parquet');

    // Act
    const manifest = await storage.readManifest('r-mirror');

    // Assess
    expect(manifest?.runId).toBe('r-mirror');
    expect(storage.manifestUrl('r-mirror')).toBe('s3://floe-mirror/_manifests/r-mirror.json');
    expect(await readFile(join(storage.root, 'PostgreSQL/clr/floe_fixture.coupons/2025-11-05/12/r-mirror-0.parquet'), 'utf8')).toBe('PAR1 not really parquet');
  });

  it('refuses a manifest whose file path would leave the mirror', async () => {
    // Prepare
    const storage = await put('r-escape', '../escape.parquet');

    // Act
    const read = storage.readManifest('r-escape');

    // Assess
    await expect(read).rejects.toThrow('files.0.path: run r-escape: file path "../escape.parquet" is outside the run\'s table folder "PostgreSQL/clr/floe_fixture.coupons/"');
    await expect(access(join(storage.root, '..', 'escape.parquet'))).rejects.toThrow();
  });

  it("refuses a file whose URL is not its path under the root (another bucket's object), copying nothing", async () => {
    // Prepare
    const path = 'PostgreSQL/clr/floe_fixture.coupons/2025-11-05/12/r-elsewhere-0.parquet';
    const storage = await put('r-elsewhere', path, 's3://someone-elses-bucket/secret.parquet');

    // Act
    const read = storage.readManifest('r-elsewhere');

    // Assess
    await expect(read).rejects.toThrow(`manifest of run r-elsewhere: file "${path}" has URL "s3://someone-elses-bucket/secret.parquet", not s3://floe-mirror/${path}; nothing of the run is copied`);
    await expect(access(join(storage.root, path))).rejects.toThrow();
  });
});
