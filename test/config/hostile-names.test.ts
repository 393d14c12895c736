import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

/** Names every database takes quoted, and floe must carry unchanged. */
const ODD_NAMES = ['we"ird', "it's", 'back`tick', 'semi;colon', 'sp ace', 'Größe 📦', 'select', 'order', 'group', 'user', 'x"; drop table canary; --', 'a..b', 'a\\b'];

async function loadError(data: Record<string, any>): Promise<{ message: string; file: string }> {
  const file = await writeConfig(data);
  try {
    await loadConfig(file, { env: ENV });
  } catch (error) {
    if (error instanceof ConfigError) return { message: error.message, file };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Config: hostile table and column names', () => {
  it('takes quotes, semicolons, spaces, unicode, reserved words and injection-shaped names as they are', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables = ODD_NAMES.map((name) => ({ name: `s.${name}`, primaryKey: [name], incrementalColumn: name, partitionColumn: name, partitions: 2 }));

    // Act
    const config = await loadConfig(await writeConfig(data), { env: ENV });

    // Assess
    expect(config.sources[0]!.tables.map((table) => [table.name, table.primaryKey, table.incrementalColumn, table.partitionColumn])).toEqual(
      ODD_NAMES.map((name) => [`s.${name}`, [name], name, name]),
    );
  });

  it.each([
    ['a/../../b', "sources[0].tables[0].name: table 'a/../../b' contains '/': the name is a folder of the raw layout; rename the table"],
    ['..', "sources[0].tables[0].name: expected 'table' or 'schema.table', got '..' (starting or ending with '.')"],
    ['.hidden', "sources[0].tables[0].name: expected 'table' or 'schema.table', got '.hidden' (starting or ending with '.')"],
    ['-x', "sources[0].tables[0].name: table '-x' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the table"],
    ['nul\u0000x', 'sources[0].tables[0].name: table "nul\\u0000x" contains a NUL character, which no database allows in a name'],
    ['s.x\u001b[2Jy', "sources[0].tables[0].name: table 's.x\\x1b[2Jy' contains the control character \\x1b, which would reach file paths, logs and terminals; rename the table"],
    ['s.two\nlines', "sources[0].tables[0].name: table 's.two\\nlines' contains the control character \\n, which would reach file paths, logs and terminals; rename the table"],
    ['s.c1\u009bx', "sources[0].tables[0].name: table 's.c1\\x9bx' contains the control character \\x9b, which would reach file paths, logs and terminals; rename the table"],
  ])('refuses the table name %j before anything runs, saying why', async (name, expected) => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].name = name;

    // Act
    const { message, file } = await loadError(data);

    // Assess
    expect(message).toBe(`${file}: ${expected}`);
  });

  it.each([
    ['primaryKey', ['a,b'], "sources[0].tables[0].primaryKey[0]: column 'a,b' contains ',', which separates the columns of the job's --primary-key list; rename the column"],
    ['primaryKey', [' id'], "sources[0].tables[0].primaryKey[0]: column ' id' starts or ends with white space, which the job's --primary-key list trims; rename the column"],
    ['primaryKey', ['--drop'], "sources[0].tables[0].primaryKey[0]: column '--drop' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the column"],
    ['incrementalColumn', '-- x', "sources[0].tables[0].incrementalColumn: column '-- x' starts with '-', which the extraction job's argument parser (Glue's too) takes for an option; rename the column"],
    ['partitionColumn', '', 'sources[0].tables[0].partitionColumn: a column name cannot be empty'],
    ['incrementalColumn', 'up\rdated', "sources[0].tables[0].incrementalColumn: column 'up\\rdated' contains the control character \\r, which would reach file paths, logs and terminals; rename the column"],
    ['primaryKey', ['id\t'], "sources[0].tables[0].primaryKey[0]: column 'id\\t' contains the control character \\t, which would reach file paths, logs and terminals; rename the column"],
  ])('refuses %s %j before anything runs, naming the column', async (key, value, expected) => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0][key] = value;

    // Act
    const { message, file } = await loadError(data);

    // Assess
    expect(message).toBe(`${file}: ${expected}`);
  });
});
