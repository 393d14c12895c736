import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TableConfig } from '../../config/table-config.js';
import type { RunRecord, TableState } from '../../state/items.js';
import { LocalStateStore } from '../../state/local.js';
import { crashingWriter, exited, forkScript, nextMessage, tempFolder } from './helpers.js';

const config = (table: string): TableConfig => ({
  source: 'clr', table, engine: 'postgres', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0,
});
const finished = (runId: string, requestedAt: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId, source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt, status: 'succeeded', finishedAt: requestedAt,
  steps: [{ name: 'extract', startedAt: requestedAt, finishedAt: requestedAt, rows: 3 }], rowsExtracted: 3, ...extra,
});

/** A version-1 state.json as floe wrote it before issue 20: a committed watermark, a live lease, a history. */
const version1 = {
  version: 1,
  tableConfigs: { 'clr/clr.users': config('clr.users'), 'clr/clr.Orders': config('clr.Orders') },
  tables: {
    'clr/clr.users': {
      source: 'clr', table: 'clr.users', watermark: '2025-11-05 12:00:00.123456+05:30', watermarkRunId: 'r-2',
      activeRun: { runId: 'r-3', since: '2025-11-05T14:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z' },
      lastRun: { runId: 'r-3', status: 'running', requestedAt: '2025-11-05T14:00:00.000Z' },
    } satisfies TableState,
  },
  runs: {
    'r-1': finished('r-1', '2025-11-05T12:00:00.000Z', { jobRunId: 'jr_1' }),
    'r-2': finished('r-2', '2025-11-05T13:00:00.000+01:00', { jobRunId: 'jr_2', watermarkCommittedAt: '2025-11-05T13:10:00.000Z' }),
    'r-3': { runId: 'r-3', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: '2025-11-05T14:00:00.000Z', status: 'running', steps: [], jobRunId: 'jr_3' } satisfies RunRecord,
  },
};

async function folderWithVersion1(doc: unknown = version1): Promise<{ folder: string; text: string }> {
  const folder = join(await tempFolder(), 'state');
  await mkdir(folder);
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  await writeFile(join(folder, 'state.json'), text);
  return { folder, text };
}

const missing = (file: string): Promise<boolean> => access(file).then(() => false, () => true);

describe('State: a version-1 state.json', () => {
  it('keeps its configs, watermarks, leases and history when the store first opens it, and is kept as state.v1.json', async () => {
    // Prepare
    const { folder, text } = await folderWithVersion1();
    const store = new LocalStateStore(folder);

    // Act
    const state = await store.getTableState('clr', 'clr.users');

    // Assess
    expect(state).toEqual(version1.tables['clr/clr.users']);
    expect(await store.getTableConfig('clr', 'clr.Orders')).toEqual(config('clr.Orders'));
    expect((await store.listTableConfigs('clr')).map((c) => c.table)).toEqual(['clr.Orders', 'clr.users']);
    expect(await store.getRun('r-2')).toEqual(version1.runs['r-2']);
    expect((await store.listRuns({ source: 'clr', table: 'clr.users', limit: 10 })).map((r) => r.runId)).toEqual(['r-3', 'r-2', 'r-1']);
    expect((await store.findRunsByJobRunId('jr_3')).map((r) => r.runId)).toEqual(['r-3']);
    expect(await store.acquireLease('clr', 'clr.users', 'r-4', new Date(), 60_000)).toMatchObject({ acquired: false, heldBy: 'r-3' });
    expect(await store.commitWatermark('clr', 'clr.users', 'r-2', 'older')).toEqual({ committed: false });
    expect(await missing(join(folder, 'state.json'))).toBe(true);
    expect(await readFile(join(folder, 'state.v1.json'), 'utf8')).toBe(text);
  });

  it('is migrated once when several processes open the store at once, so none loses another’s write', async () => {
    // Prepare: six tables at watermark 0, and a history long enough that migrating takes a while
    const tables = Array.from({ length: 6 }, (_, i) => `t${i}`);
    const runs = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => {
      const run = { ...finished(`h-${i}`, new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString()), table: tables[i % 6] ?? 't0' };
      return [run.runId, run];
    }));
    const { folder } = await folderWithVersion1({
      version: 1,
      tableConfigs: Object.fromEntries(tables.map((table) => [`clr/${table}`, config(table)])),
      tables: Object.fromEntries(tables.map((table) => [`clr/${table}`, { source: 'clr', table, watermark: '0', watermarkRunId: 'h-0', activeRun: null }])),
      runs,
    });
    const writer = `
      import { LocalStateStore } from 'ROOT/state/local.ts';
      const [folder, table] = process.argv.slice(2);
      process.on('message', async () => {
        const store = new LocalStateStore(folder);
        process.send(await store.commitWatermark('clr', table, 'c-' + table, table.slice(1)));
        process.disconnect();
      });
      process.send('ready');`;
    const children = await Promise.all(tables.map((table) => forkScript(writer, [folder, table])));
    await Promise.all(children.map((child) => nextMessage(child)));

    // Act
    const answers = children.map((child) => nextMessage<{ committed: boolean }>(child));
    for (const child of children) child.send('go');
    const committed = await Promise.all(answers);
    await Promise.all(children.map((child) => exited(child)));

    // Assess: every commit survived (a second migration would have put watermark 0 back)
    const store = new LocalStateStore(folder);
    expect(committed).toEqual(tables.map(() => ({ committed: true })));
    for (const table of tables) expect(await store.getTableState('clr', table)).toMatchObject({ watermark: table.slice(1), watermarkRunId: `c-${table}` });
    expect(await store.listRuns({ source: 'clr', table: 't5', limit: 1000 })).toHaveLength(250);
    expect(await missing(join(folder, 'state.json'))).toBe(true);
  });

  it('is migrated again from the start when a migration died halfway', async () => {
    // Prepare: a process died while migrating, having written some of the items
    const { folder, text } = await folderWithVersion1();
    const died = await crashingWriter(folder, '/runs/', '', `await store.getTableState('clr', 'clr.users');`);
    const halfway = await readdir(folder);

    // Act
    const store = new LocalStateStore(folder, { lockStaleMs: 300 });
    const state = await store.getTableState('clr', 'clr.users');

    // Assess
    expect(died).toBe(9);
    // Items are written 32 at once, so which had landed when it died varies; it died before the rename.
    expect(halfway).toEqual(expect.arrayContaining(['state.json', 'state.json.lock', 'runs-by-table']));
    expect(halfway).not.toContain('state.v1.json');
    expect(state).toEqual(version1.tables['clr/clr.users']);
    expect(await store.getRun('r-3')).toEqual(version1.runs['r-3']);
    expect((await store.listRuns({ limit: 10 })).map((r) => r.runId)).toEqual(['r-3', 'r-2', 'r-1']);
    expect(await readFile(join(folder, 'state.v1.json'), 'utf8')).toBe(text);
    expect(await readdir(store.layout.temp)).toEqual([]);
  });

  it('that is not JSON is refused, saying floe never writes it in place, without retrying', async () => {
    // Prepare
    const folder = join(await tempFolder(), 'state');
    await mkdir(folder);
    await writeFile(join(folder, 'state.json'), '{"version": 1, "tabl');
    const store = new LocalStateStore(folder);

    // Act
    const act = store.getTableState('clr', 'users');

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'StateError',
      retryable: false,
      message: `${join(folder, 'state.json')} is not valid JSON; floe never writes it in place, so restore it from a backup or delete it to start over`,
    });
  });

  it('that is not floe’s is refused, naming the field, and left where it is', async () => {
    // Prepare
    const broken = structuredClone(version1) as unknown as { tables: Record<string, Record<string, unknown>> };
    delete broken.tables['clr/clr.users']?.['watermarkRunId'];
    const { folder } = await folderWithVersion1(broken);
    const store = new LocalStateStore(folder);

    // Act
    const act = store.listRuns({ limit: 1 });

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'StateError',
      retryable: false,
      message: expect.stringMatching(/state\.json is not a floe state file \(tables\.clr\/clr\.users\.watermarkRunId: /),
    });
    expect(await missing(join(folder, 'state.json'))).toBe(false);
  });
});
