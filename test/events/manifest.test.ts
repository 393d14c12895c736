import { EventValidationError, ManifestSchema, parseManifest } from '../../events/index.js';
import { manifestFixture } from '../fixtures/events/load.js';

describe('Manifest: ManifestSchema', () => {
  it('parses the manifest glue/extract.py wrote', () => {
    // Prepare
    const raw = manifestFixture();

    // Act
    const manifest = ManifestSchema.parse(raw);

    // Assess
    expect(manifest).toEqual(raw);
    expect(manifest.columns.map((c) => c.name)).toEqual(['id', 'code', 'amount_cents', 'updated_at']);
  });

  it('accepts a full run: no window, watermarks or null count', () => {
    // Prepare
    const raw = {
      ...manifestFixture(),
      mode: 'full',
      incrementalColumn: null,
      window: null,
      newWatermark: null,
      nullIncrementalRows: null,
      primaryKey: [],
    };

    // Act & Assess
    expect(ManifestSchema.safeParse(raw).success).toBe(true);
  });

  it('throws if totalRows is not the sum of the files rows', () => {
    // Prepare
    const raw = { ...manifestFixture(), totalRows: 4 };

    // Act & Assess
    expect(() => parseManifest(raw, '/raw/_manifests/fixture1.json')).toThrow(
      'manifest /raw/_manifests/fixture1.json: totalRows: totalRows must equal the sum of files[].rows',
    );
  });

  it('throws naming the file index if a file lacks its row count', () => {
    // Prepare
    const raw = manifestFixture();
    delete raw.files[0]?.rows;

    // Act & Assess
    expect(() => parseManifest(raw, 'm.json')).toThrow(EventValidationError);
    expect(() => parseManifest(raw, 'm.json')).toThrow('manifest m.json: files.0.rows: expected number, received undefined');
  });

  it('throws if the manifest version is not 1', () => {
    // Prepare
    const raw = { ...manifestFixture(), manifestVersion: 2 };

    // Act & Assess
    expect(() => parseManifest(raw, 'm.json')).toThrow('manifest m.json: manifestVersion: expected 1');
  });
});
