import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ManifestColumn } from '../../events/index.js';
import { lastKnownColumns, schemaChangesOf } from '../../pipeline/schema-changes.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';
import { SchemaChangeError } from '../../warehouse/schema-evolution.js';

const TABLE = { source: 'clr', table: 'floe_fixture.coupons' };
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'manifest.json');

describe('load-and-merge: the last known schema of a table', () => {
  let folder: string;
  let state: LocalStateStore;
  let raw: LocalRawStorage;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'floe-schema-changes-'));
    state = new LocalStateStore(join(folder, 'state'));
    raw = new LocalRawStorage(join(folder, 'raw'));
    await mkdir(join(folder, 'raw', '_manifests'), { recursive: true });
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** A run requested at `minute`, with a manifest of `columns`; `merged` records a successful load-and-merge. */
  async function run(runId: string, minute: number, columns: readonly ManifestColumn[], outcome: 'merged' | 'failed' | 'running'): Promise<void> {
    const at = `2025-11-05T12:${String(minute).padStart(2, '0')}:00.000Z`;
    await state.startRun({ runId, ...TABLE, mode: 'incremental', requestedAt: at });
    if (outcome !== 'running') {
      await state.recordStep(runId, {
        name: 'load-and-merge', startedAt: at, finishedAt: at,
        ...(outcome === 'failed' ? { error: { name: 'SchemaChangeError', message: 'refused', retryable: false } } : {}),
      });
    }
    const manifest = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>;
    await writeFile(raw.manifestUrl(runId), JSON.stringify({ ...manifest, runId, columns }));
  }

  const id: ManifestColumn = { name: 'id', sourceType: 'bigint', arrowType: 'int64', nullable: false };
  const code = (sourceType: string, arrowType: string): ManifestColumn => ({ name: 'code', sourceType, arrowType, nullable: true });

  it('is the manifest of the newest run before this one whose load-and-merge succeeded', async () => {
    // Prepare: r1 merged; r2 was refused; r3 is being merged; r4 came later (a replay of r3 must not compare with it)
    await run('r1', 1, [id, code('text', 'string')], 'merged');
    await run('r2', 2, [id, code('integer', 'int32')], 'failed');
    await run('r3', 3, [id], 'running');
    await run('r4', 4, [id], 'merged');

    // Act
    const known = await lastKnownColumns(state, raw, { runId: 'r3', ...TABLE });

    // Assess
    expect(known).toEqual([
      { name: 'id', sourceType: 'bigint', arrowType: 'int64' },
      { name: 'code', sourceType: 'text', arrowType: 'string' },
    ]);
  });

  it('is unknown for a first run, or when that manifest is gone, and then no change is reported', async () => {
    // Prepare
    await run('r1', 1, [id], 'running');
    const first = await schemaChangesOf(state, raw, { runId: 'r1', ...TABLE }, { columns: [id] });
    await run('r2', 2, [id, code('text', 'string')], 'running');
    await state.recordStep('r1', { name: 'load-and-merge', startedAt: '2025-11-05T12:01:00.000Z' });
    await rm(raw.manifestUrl('r1'));

    // Act
    const afterLoss = await schemaChangesOf(state, raw, { runId: 'r2', ...TABLE }, { columns: [id, code('text', 'string')] });

    // Assess
    expect(first).toEqual([]);
    expect(afterLoss).toEqual([]);
  });

  it('refuses a change that would lose data, naming table, column, both types and the reason', async () => {
    // Prepare
    await run('r1', 1, [id, code('text', 'string')], 'merged');
    await run('r2', 2, [id, code('integer', 'int32')], 'running');

    // Act
    const act = schemaChangesOf(state, raw, { runId: 'r2', ...TABLE }, { columns: [id, code('integer', 'int32')] });

    // Assess
    await expect(act).rejects.toThrow(SchemaChangeError);
    await expect(act).rejects.toThrow(
      'Table floe_fixture.coupons of source clr (run r2): column code changed from text (string) to integer (int32): floe does not convert string to int32. Nothing of this run was loaded and the watermark stays.',
    );
  });
});
