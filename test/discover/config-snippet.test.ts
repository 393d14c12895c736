import { configSnippet, scalar } from '../../discover/config-snippet.js';
import type { DiscoveredTable } from '../../discover/discovered-table.js';

const USERS: DiscoveredTable = { schema: 'clr', table: 'users', name: 'clr.users', primaryKey: ['id'], incrementalColumn: 'updated_at', partitionColumn: 'id' };

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
    const table: DiscoveredTable = { ...USERS, table: 'x${HOME}', name: 'clr.x${HOME}', incrementalColumn: null, partitionColumn: null };

    // Act
    const snippet = configSnippet([table], { indent: 0 });

    // Assess
    expect(snippet).toBe('- name: "clr.x$${HOME}"\n  primaryKey: [id]\n');
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
    const dashed: DiscoveredTable = { ...USERS, primaryKey: ['-id'], partitionColumn: null };
    const hostile: DiscoveredTable = { ...USERS, table: 'x"; drop table canary; --', name: 'clr.x"; drop table canary; --', primaryKey: ['key "id"'], partitionColumn: null };

    // Act
    const snippet = configSnippet([dotted, dashed, hostile], { indent: 0 });

    // Assess
    expect(snippet.split('\n')).toEqual([
      "# cannot be configured: a.b.users — schema 'a.b' contains '.', and 'schema.table' is split at the first '.'; rename the schema",
      "# cannot be configured: clr.users — column '-id' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the column",
      '- name: "clr.x\\"; drop table canary; --"',
      '  primaryKey: ["key \\"id\\""]',
      '  incrementalColumn: updated_at   # assumed stamped by the database clock; a client clock needs lookbackSeconds (README: incremental runs)',
      '',
    ]);
  });
});
