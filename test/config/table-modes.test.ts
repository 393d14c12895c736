import { ConfigError } from '../../config/errors.js';
import { loadConfig, parseConfig } from '../../config/load.js';
import { TableConfigSchema, toTableConfigs } from '../../config/table-config.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

/** The valid fixture with one more table on source clr, as written in the file. */
async function withTable(table: Record<string, unknown>): Promise<{ data: Record<string, any>; index: number }> {
  const data = await validConfigData();
  const tables = data['sources'][0].tables as Record<string, unknown>[];
  tables.push(table);
  return { data, index: tables.length - 1 };
}

async function problems(table: Record<string, unknown>): Promise<{ message: string; index: number }> {
  const { data, index } = await withTable(table);
  const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return { message: error.message, index };
}

describe('Config: tables without a primary key', () => {
  it('takes a table without primaryKey in full mode and in append mode, and carries both to the table config items', async () => {
    // Prepare
    const { data } = await withTable({ name: 'app.audit_trail' });
    (data['sources'][0].tables as Record<string, unknown>[]).push({ name: 'app.access_log', mode: 'append', incrementalColumn: 'logged_at', lookbackSeconds: 30 });

    // Act
    const items = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));

    // Assess
    const keyless = items.filter((item) => item.table.startsWith('app.'));
    expect(keyless).toMatchObject([
      { table: 'app.audit_trail', primaryKey: [], mode: 'full' },
      { table: 'app.access_log', primaryKey: [], mode: 'append', incrementalColumn: 'logged_at', lookbackSeconds: 30 },
    ]);
    expect(keyless.map((item) => TableConfigSchema.parse(item).mode)).toEqual(['full', 'append']);
  });

  it('refuses append without incrementalColumn, naming the table and what to set', async () => {
    // Act
    const { message, index } = await problems({ name: 'app.access_log', mode: 'append' });

    // Assess
    expect(message).toContain(
      `sources[0].tables[${index}].incrementalColumn: table app.access_log: mode append adds the rows past the watermark of incrementalColumn, and none is set; ` +
        'set incrementalColumn (a column the database stamps when a row is inserted), or use mode: full',
    );
  });

  it('refuses append with a primaryKey: a key would mean one row per key, which append does not keep', async () => {
    // Act
    const { message, index } = await problems({ name: 'app.access_log', mode: 'append', incrementalColumn: 'logged_at', primaryKey: ['id'] });

    // Assess
    expect(message).toContain(`sources[0].tables[${index}].primaryKey: table app.access_log: mode append keeps every row and merges none`);
    expect(message).toContain('use mode: incremental to keep one row per key');
  });

  it('refuses incremental mode without a key, written or implied by incrementalColumn', async () => {
    // Act
    const explicit = await problems({ name: 'app.events', mode: 'incremental', incrementalColumn: 'at' });
    const implied = await problems({ name: 'app.events', incrementalColumn: 'at' });

    // Assess
    for (const { message, index } of [explicit, implied]) {
      expect(message).toContain(`sources[0].tables[${index}].primaryKey: table app.events: incremental mode merges rows on primaryKey, and none is set`);
    }
  });

  it('refuses deletes on a table without a key, whatever its mode', async () => {
    // Act
    const appended = await problems({ name: 'app.access_log', mode: 'append', incrementalColumn: 'logged_at', deletes: 'detect' });
    const full = await problems({ name: 'app.audit_trail', deletes: 'detect-hard' });

    // Assess
    expect(appended.message).toContain(`sources[0].tables[${appended.index}].deletes: table app.access_log: deletes compares the primary keys of the source and staging, and none is set`);
    expect(full.message).toContain(`sources[0].tables[${full.index}].deletes: deletes applies to incremental tables: a full-mode run replaces staging`);
  });

  it('keeps the partition rules for a table without a key: parts without partitionColumn are refused', async () => {
    // Act
    const { message, index } = await problems({ name: 'app.audit_trail', partitions: 2 });

    // Assess
    expect(message).toContain(`sources[0].tables[${index}].partitions: 2 partitions need partitionColumn`);
  });

  it('accepts floe check on a Snowflake warehouse for a table without a key too', () => {
    // Prepare
    const text = [
      'warehouse: snowflake://myorg-myaccount/ANALYTICS?user=FLOE&warehouse=FLOE_WH&role=FLOE',
      'sources:',
      '  - name: app',
      '    engine: postgres',
      '    connection: postgresql://reader@db.internal/app',
      '    tables:',
      '      - { name: app.access_log, mode: append, incrementalColumn: logged_at, check: after-merge }',
    ].join('\n');

    // Act
    const config = parseConfig(text, { file: 'floe.config.yaml', folder: '/tmp', env: {} });

    // Assess
    expect(config.sources[0]?.tables[0]).toMatchObject({ primaryKey: [], check: 'after-merge' });
  });

  it('names only the misspelled key when primaryKey is misspelled, not what its absence implies', async () => {
    // Prepare
    const data = await validConfigData();
    const table = data['sources'][0].tables[0];
    table.primarykey = table.primaryKey;
    delete table.primaryKey;

    // Act
    const error = (await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught)) as ConfigError;

    // Assess
    expect(error.message).toMatch(/sources\[0\]\.tables\[0\]: unknown key 'primarykey' \(did you mean primaryKey\?\)$/);
  });
});
