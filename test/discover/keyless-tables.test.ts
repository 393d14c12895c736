import { loadConfig } from '../../config/index.js';
import { configSnippet } from '../../discover/config-snippet.js';
import type { CatalogColumn, CatalogTable } from '../../discover/discovered-table.js';
import { describeTable } from '../../discover/suggestions.js';
import { writeConfigWithSnippet } from './helpers.js';

const column = (name: string, kind: CatalogColumn['kind'], more: Partial<CatalogColumn> = {}): CatalogColumn => ({
  name, kind, notNull: false, setOnUpdate: null, setOnInsert: null, indexed: false, ...more,
});

/** A table without a primary key; each test adds what the catalog says. */
const LOG: CatalogTable = {
  schema: 'app', table: 'access_log', primaryKey: [], uniqueIndexes: [], estimatedRows: 10, estimatedBytes: 8192,
  columns: [column('path', 'other'), column('status', 'integer', { notNull: true })],
};

describe('Discover: tables without a primary key', () => {
  it('proposes append by a column the database stamps on insert, over one only named like an insertion time', () => {
    // Prepare
    const table: CatalogTable = {
      ...LOG,
      columns: [
        ...LOG.columns,
        column('created', 'timestamp', { notNull: true }),
        column('logged_at', 'timestamp', { notNull: true, setOnInsert: 'stamped on insert by its default now()', indexed: true }),
      ],
    };

    // Act
    const described = describeTable(table, 'app.access_log');

    // Assess
    expect(described).toMatchObject({
      primaryKey: [], keyEvidence: null, mode: 'append', incrementalColumn: 'logged_at',
      incrementalEvidence: 'stamped on insert by its default now(), NOT NULL, indexed',
    });
    expect(described.modeEvidence).toContain('rows taken as only ever inserted');
  });

  it('proposes full mode when a column says rows change, even with a column stamped on insert', () => {
    // Prepare: rows that change cannot be appended (the new version would be a second row)
    const table: CatalogTable = {
      ...LOG,
      columns: [
        ...LOG.columns,
        column('created_at', 'timestamp', { notNull: true, setOnInsert: 'stamped on insert by its default now()' }),
        column('touched', 'timestamp', { notNull: true, setOnUpdate: 'set by trigger touch on update' }),
      ],
    };

    // Act
    const described = describeTable(table, 'app.access_log');

    // Assess
    expect(described).toMatchObject({ primaryKey: [], mode: 'full', incrementalColumn: null });
    expect(described.modeEvidence).toBe(
      'no primary key, and its rows change (touched: set by trigger touch on update), which only a key could merge: each run replaces the table, duplicate rows kept',
    );
  });

  it('proposes full mode, saying why, when nothing shows when a row was inserted', () => {
    // Act
    const described = describeTable(LOG, 'app.access_log');

    // Assess
    expect(described).toMatchObject({ primaryKey: [], mode: 'full', incrementalColumn: null });
    expect(described.modeEvidence).toContain('nor a column the database stamps on insert or one named like created_at');
  });

  it('proposes the smallest unique index over NOT NULL columns as the key, and says which; one over a nullable column is no key', () => {
    // Prepare
    const table: CatalogTable = {
      ...LOG,
      columns: [...LOG.columns, column('request_id', 'integer', { notNull: true }), column('trace', 'other')],
      uniqueIndexes: [
        { name: 'by_trace', columns: ['trace'] },
        { name: 'by_path_status', columns: ['path', 'status'] },
        { name: 'by_request', columns: ['request_id'] },
      ],
    };

    // Act
    const described = describeTable(table, 'app.access_log');

    // Assess
    expect(described).toMatchObject({
      primaryKey: ['request_id'], mode: 'full', modeEvidence: null,
      keyEvidence: 'no primary key; unique index by_request on NOT NULL column request_id identifies each row, so it serves as the key',
    });
  });

  it('writes entries loadConfig accepts: append with its column, full without a key, a unique index as primaryKey', async () => {
    // Prepare
    const appended = describeTable({ ...LOG, columns: [...LOG.columns, column('created_at', 'timestamp', { notNull: true })] }, 'app.access_log');
    const full = describeTable({ ...LOG, table: 'links' }, 'app.links');
    const keyed = describeTable(
      { ...LOG, table: 'tags', columns: [column('tag', 'other', { notNull: true })], uniqueIndexes: [{ name: 'tags_tag_key', columns: ['tag'] }] },
      'app.tags',
    );

    // Act
    const snippet = configSnippet([appended, full, keyed]);
    const config = await loadConfig(await writeConfigWithSnippet('postgres', snippet), { env: { SOURCE_URL: 'postgresql://u@h:5432/d' } });

    // Assess
    expect(snippet.split('\n')).toEqual([
      '      - name: app.access_log   # ~10 rows, ~8.0 KiB',
      '        # no primary key; rows taken as only ever inserted, as in a log: each run adds the new ones (a row updated at the source would be added again)',
      '        mode: append',
      '        # created_at: named like an insertion time, NOT NULL, not indexed: each run scans the table',
      '        incrementalColumn: created_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
      '      - name: app.links   # ~10 rows, ~8.0 KiB',
      '        # no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept',
      '        mode: full',
      '      - name: app.tags   # ~10 rows, ~8.0 KiB',
      '        # no primary key; unique index tags_tag_key on NOT NULL column tag identifies each row, so it serves as the key',
      '        primaryKey: [tag]',
      '        # full mode: no column the database sets on update, nor one named like updated_at',
      '',
    ]);
    expect(config.sources[0]?.tables.map((t) => [t.name, t.mode, t.primaryKey, t.incrementalColumn])).toEqual([
      ['app.access_log', 'append', [], 'created_at'],
      ['app.links', 'full', [], undefined],
      ['app.tags', 'full', ['tag'], undefined],
    ]);
  });

  it('makes an index name holding a newline printable in its comment, so it cannot start a YAML line', () => {
    // Prepare
    const table: CatalogTable = {
      ...LOG, columns: [column('tag', 'other', { notNull: true })], uniqueIndexes: [{ name: 'evil\n      - name: injected', columns: ['tag'] }],
    };

    // Act
    const snippet = configSnippet([describeTable(table, 'app.tags')]);

    // Assess
    expect(snippet).toContain('unique index evil\\n      - name: injected on NOT NULL column tag');
    expect(snippet.split('\n').filter((line) => line.trimStart().startsWith('- name:'))).toEqual(['      - name: app.tags   # ~10 rows, ~8.0 KiB']);
  });
});
