import { configSnippet, scalar } from '../../discover/config-snippet.js';
import type { CatalogTable, DiscoveredTable } from '../../discover/discovered-table.js';
import { describeTable, PARTITION_BYTES } from '../../discover/suggestions.js';

const USERS: DiscoveredTable = {
  schema: 'clr', table: 'users', name: 'clr.users', primaryKey: ['id'], keyEvidence: null, mode: 'incremental', modeEvidence: null,
  incrementalColumn: 'updated_at', incrementalEvidence: 'named like a last-change time, NOT NULL, indexed',
  partitionColumn: null, partitions: 1, estimatedRows: 1523, estimatedBytes: 262_144,
};

describe('Discover: configSnippet', () => {
  it('leaves plain names plain and quotes names YAML would read as something else', () => {
    // Prepare
    const names = ['users', 'clr.users', 'yes', 'null', 'order lines', 'a,b', '1st', "it's"];

    // Act
    const written = names.map(scalar);

    // Assess
    expect(written).toEqual(['users', 'clr.users', '"yes"', '"null"', '"order lines"', '"a,b"', '"1st"', `"it's"`]);
  });

  it('doubles $ so that ${...} in a table name is not taken for an environment variable', () => {
    // Prepare
    const table: DiscoveredTable = { ...USERS, table: 'x${HOME}', name: 'clr.x${HOME}', incrementalColumn: null, incrementalEvidence: null };

    // Act
    const snippet = configSnippet([table], { indent: 0 });

    // Assess
    expect(snippet).toBe('- name: "clr.x$${HOME}"   # ~1,523 rows, ~256 KiB\n  primaryKey: [id]\n  # full mode: no column the database sets on update, nor one named like updated_at\n');
  });

  it('turns a table whose name floe cannot take into a comment instead of an entry', () => {
    // Prepare
    const table: DiscoveredTable = { ...USERS, table: 'a/b', name: 'clr.a/b' };

    // Act
    const snippet = configSnippet([table], { indent: 0 });

    // Assess
    expect(snippet).toBe(`# cannot be configured: "clr.a/b" — table 'clr.a/b' contains '/': the name is a folder of the raw layout; rename the table\n`);
  });

  it('applies the config\'s own name rules: a schema holding a \'.\' and a key column the job cannot take become comments', () => {
    // Prepare
    const dotted: DiscoveredTable = { ...USERS, schema: 'a.b', name: 'a.b.users' };
    const dashed: DiscoveredTable = { ...USERS, primaryKey: ['-id'] };
    const hostile: DiscoveredTable = { ...USERS, table: 'x"; drop table canary; --', name: 'clr.x"; drop table canary; --', primaryKey: ['key "id"'] };

    // Act
    const snippet = configSnippet([dotted, dashed, hostile], { indent: 0 });

    // Assess
    expect(snippet.split('\n')).toEqual([
      "# cannot be configured: a.b.users — schema 'a.b' contains '.', and 'schema.table' is split at the first '.'; rename the schema",
      "# cannot be configured: clr.users — column '-id' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the column",
      '- name: "clr.x\\"; drop table canary; --"   # ~1,523 rows, ~256 KiB',
      '  primaryKey: ["key \\"id\\""]',
      '  # updated_at: named like a last-change time, NOT NULL, indexed',
      '  incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
      '',
    ]);
  });

  it('proposes parallel reads from the table\'s size: one part below 2 GiB, then one per 2 GiB up to a source\'s default maxConnections (4), on a single integer key', () => {
    // Prepare
    const table = (bytes: number | null): CatalogTable => ({
      schema: 'clr', table: 'events', primaryKey: ['id'], uniqueIndexes: [], estimatedRows: null, estimatedBytes: bytes,
      columns: [{ name: 'id', kind: 'integer', notNull: true, setOnUpdate: null, setOnInsert: null, indexed: true }],
    });

    // Act
    const described = [null, PARTITION_BYTES - 1, 3 * PARTITION_BYTES, 100 * PARTITION_BYTES].map((bytes) => describeTable(table(bytes), 'clr.events'));

    // Assess
    expect(described.map((d) => [d.partitionColumn, d.partitions])).toEqual([[null, 1], [null, 1], ['id', 3], ['id', 4]]);
    expect(configSnippet([described[2]!], { indent: 0 }).split('\n').slice(0, 1)).toEqual(['- name: clr.events   # rows not estimated yet, ~6.0 GiB: 3 parallel reads']);
  });
});
