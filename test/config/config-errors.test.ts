import { ConfigError } from '../../config/errors.js';
import { loadConfig, parseConfig } from '../../config/load.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

/** Load `content` and return the ConfigError it must raise. */
async function configError(content: unknown, env: NodeJS.ProcessEnv = ENV): Promise<{ error: ConfigError; file: string }> {
  const file = await writeConfig(content);
  try {
    await loadConfig(file, { env });
  } catch (error) {
    if (error instanceof ConfigError) return { error, file };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Config: errors', () => {
  it('names an unknown key and suggests the known one it resembles', async () => {
    // Prepare
    const data = await validConfigData();
    const table = data['sources'][0].tables[1];
    table.primarykey = table.primaryKey;
    delete table.primaryKey;

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(`${file}: sources[0].tables[1]: unknown key 'primarykey' (did you mean primaryKey?)`);
    expect(error).toMatchObject({ name: 'ConfigError', retryable: false, file });
  });

  it('lists the allowed keys when an unknown key resembles none', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][1].flavour = 'mariadb';

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(`${file}: sources[1]: unknown key 'flavour' (expected one of: name, engine, connection, retry, maxConnections, tables)`);
  });

  it('says an incremental table without primaryKey has nothing to merge on, and what to use instead', async () => {
    // Prepare
    const data = await validConfigData();
    delete data['sources'][0].tables[0].primaryKey;

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(
      `${file}: sources[0].tables[0].primaryKey: table clr.availed_coupon_snapshots: incremental mode merges rows on primaryKey, and none is set; ` +
        'set primaryKey, or use mode: append (rows only ever inserted, such as a log: each run adds the new ones) or mode: full (each run replaces the table)',
    );
  });

  it('says an empty primaryKey must not be empty', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].primaryKey = [];

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(`${file}: sources[0].tables[0].primaryKey: must not be empty`);
  });

  it('names the allowed engines when the engine is unknown', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][1].engine = 'oracle';

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(`${file}: sources[1].engine: expected one of postgres, mysql, got "oracle"`);
  });

  it('rejects incremental mode without an incremental column', async () => {
    // Prepare
    const data = await validConfigData();
    delete data['sources'][0].tables[0].incrementalColumn;

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(`${file}: sources[0].tables[0].mode: incremental mode needs incrementalColumn (or set mode: full)`);
  });

  it('rejects several partitions without a partition column', async () => {
    // Prepare
    const data = await validConfigData();
    delete data['sources'][0].tables[0].partitionColumn;

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(`${file}: sources[0].tables[0].partitions: 2 partitions need partitionColumn`);
  });

  it('rejects duplicate source names and duplicate tables within a source', async () => {
    // Prepare
    const data = await validConfigData();
    const duplicateTables = structuredClone(data);
    data['sources'][1].name = 'clr';
    duplicateTables['sources'][0].tables.push(structuredClone(data['sources'][0].tables[1]));

    // Act
    const sources = await configError(data);
    const tables = await configError(duplicateTables);

    // Assess
    expect(sources.error.message).toBe(`${sources.file}: sources[1].name: duplicate source name 'clr' (also sources[0])`);
    expect(tables.error.message).toBe(`${tables.file}: sources[0].tables[2].name: duplicate table 'coupons' (also tables[1])`);
  });

  it('lists every problem when there are several', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].partitions = 0;
    data['sources'][1].tables[0].lookbackSeconds = 'a minute';

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(
      `${file}: 2 problems\n` +
        '  - sources[0].tables[0].partitions: must be at least 1\n' +
        '  - sources[1].tables[0].lookbackSeconds: expected a number, got a string',
    );
    expect(error.problems).toHaveLength(2);
  });

  it('names the key path and the variable when an environment variable is missing', async () => {
    // Prepare
    const data = await validConfigData();

    // Act
    const { error, file } = await configError(data, {});

    // Assess
    expect(error.message).toBe(`${file}: sources[0].connection: environment variable CLR_URL is not set (or write \${CLR_URL:-default})`);
  });

  it('gives line and column of a YAML syntax error', async () => {
    // Prepare
    const text = 'sources:\n  - name: clr\n    engine: postgres\n   connection: x\n';

    // Act
    const { error, file } = await configError(text);

    // Assess
    expect(error.message).toBe(`${file}: YAML syntax error at line 4, column 1: Sequence item without - indicator`);
    expect(error.cause).toBeDefined();
  });

  it('says which key is duplicated in the YAML', async () => {
    // Prepare
    const text = 'raw: ./a\nraw: ./b\nsources: []\n';

    // Act
    const { error, file } = await configError(text);

    // Assess
    expect(error.message).toBe(`${file}: YAML syntax error at line 2, column 1: Map keys must be unique`);
  });

  it('says the file cannot be read when it does not exist', async () => {
    // Prepare
    const file = '/nonexistent/floe.config.yaml';

    // Act
    const act = loadConfig(file, { env: ENV });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'ConfigError', message: `${file}: cannot read the config file (ENOENT)`, retryable: false });
  });
});

describe('Config: secrets stay out of errors', () => {
  const secret = 's3cr3t-pw';

  it('says the connection is not a postgres URL without echoing it', async () => {
    // Prepare
    const data = await validConfigData();
    const env = { CLR_URL: `http://floe:${secret}@127.0.0.1/clr` };

    // Act
    const { error, file } = await configError(data, env);

    // Assess
    expect(error.message).toBe(
      `${file}: sources[0].connection: source clr: not a postgres URL (expected postgresql://user:password@host:port/database or secretsmanager:<secret id>)`,
    );
    expect(JSON.stringify({ message: error.message, problems: error.problems, cause: String(error.cause) })).not.toContain(secret);
  });

  it('says the connection is for the other engine without echoing it', async () => {
    // Prepare
    const data = await validConfigData();
    const env = { CLR_URL: `mysql://floe:${secret}@127.0.0.1/clr` };

    // Act
    const { error, file } = await configError(data, env);

    // Assess
    expect(error.message).toBe(`${file}: sources[0].connection: source clr: is a mysql URL but engine is postgres`);
  });

  it('never quotes a value that came from an environment variable, wherever it lands', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].engine = '${CLR_URL}';
    data['sources'][0].name = '${CLR_URL}';
    data['raw'] = { nested: '${CLR_URL}' };

    // Act
    const { error } = await configError(data);

    // Assess
    expect(error.problems.length).toBeGreaterThanOrEqual(3);
    expect(error.message).not.toContain(secret);
    expect(error.problems).toContain('sources[0].engine: expected one of postgres, mysql');
  });

  it('rejects a password written into the file, without echoing it', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].connection = `postgresql://floe:${secret}@127.0.0.1:5432/clr`;

    // Act
    const { error, file } = await configError(data);

    // Assess
    expect(error.message).toBe(
      `${file}: sources[0].connection: contains a password; put the URL in an environment variable and write \${VARIABLE} here`,
    );
  });
});

describe('Config: warehouse name collisions', () => {
  it('refuses two tables that would share a warehouse table, case ignored', () => {
    // Prepare
    const text = ['sources:', '  - name: src', '    engine: postgres', '    connection: postgresql://u@h/db', '    tables:',
      '      - name: x.y', '        primaryKey: [id]', '      - name: X__y', '        primaryKey: [id]'].join('\n');
    // Act
    const load = (): unknown => parseConfig(text, { file: 'floe.config.yaml', folder: '/tmp', env: {} });
    // Assess
    expect(load).toThrow("sources[0].tables[1].name: 'X__y' would land in the same warehouse table as sources[0].tables[0] (src__X__y, case ignored)");
  });

  it('refuses a schema-qualified name and a name with __ that map to one warehouse table', () => {
    const text = ['sources:', '  - name: src', '    engine: postgres', '    connection: postgresql://u@h/db', '    tables:',
      '      - name: x.y', '        primaryKey: [id]', '      - name: x__y', '        primaryKey: [id]'].join('\n');

    expect(() => parseConfig(text, { file: 'floe.config.yaml', folder: '/tmp', env: {} })).toThrow(
      "sources[0].tables[1].name: 'x__y' would land in the same warehouse table as sources[0].tables[0] (src__x__y, case ignored)",
    );
  });

  it("refuses '__' in a source name", () => {
    const text = ['sources:', '  - name: a__b', '    engine: postgres', '    connection: postgresql://u@h/db', '    tables: []'].join('\n');

    expect(() => parseConfig(text, { file: 'floe.config.yaml', folder: '/tmp', env: {} })).toThrow(
      "sources[0].name: must not contain '__', which separates source and table in warehouse names",
    );
  });
});
