import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { ConfigError, DEFAULT_MAX_CONNECTIONS, printable, type Engine } from '../config/index.js';
import { cannotConfigure, configSnippet, scalar } from '../discover/config-snippet.js';
import { discoverSource } from '../discover/discover-source.js';

export const INIT_USAGE = 'floe init (--url-env VAR | --url URL) [--name NAME] [--schema X] [--out floe.config.yaml] [--force]';

const ENGINES: Record<string, Engine> = { 'postgres:': 'postgres', 'postgresql:': 'postgres', 'mysql:': 'mysql', 'mariadb:': 'mysql' };

/** What floe init needs of a source, read from its URL: the engine, and a name for it (the database's). */
function sourceOf(url: string): { engine: Engine; database: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('the source URL is not a URL: expected postgresql://user@host:port/database or mysql://user@host:port/database');
  }
  const engine = ENGINES[parsed.protocol];
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (engine === undefined) throw new ConfigError(`the source URL's scheme ${parsed.protocol} is not postgresql:, mysql: or mariadb:`);
  if (database === '') throw new ConfigError('the source URL names no database (…/database)');
  return { engine, database };
}

/** The config file: every setting floe needs, each commented, the source's tables from discovery. */
function configText(name: string, engine: Engine, variable: string, tables: string): string {
  return `# floe.config.yaml, written by floe init from ${engine} source '${name}'. The full reference:
# README, "Configuration reference". Run: npx floe run   (then: npx floe status, npx floe report)

raw: ./.floe/raw              # raw Parquet files, manifests and job logs (s3://bucket/prefix when deployed)
state: ./.floe/state          # runs, watermarks, leases (dynamodb://<stack> when deployed)
warehouse: duckdb://./.floe/warehouse.duckdb   # or snowflake://<account>/<database>?user=…&warehouse=…&role=…
gold: ./sql/gold              # your gold models: one SELECT per file

sources:
  - name: ${scalar(name)}
    engine: ${engine}
    # The URL comes from the environment, never from this file: export ${variable}=…
    connection: \${${variable}}
    tables:
${tables}`;
}

/**
 * Writes a complete, commented floe.config.yaml for one source, from its catalog: every base
 * table with its key, the column to read it incrementally by (and why), parallel reads for big
 * ones; a table without a key in `append` or `full` mode, saying why. It asks for nothing it can find out: the engine and the source's name come from the URL,
 * which it reads from an environment variable (a URL on the command line shows in `ps`) and never
 * writes into the file.
 */
export async function initCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'url-env': { type: 'string' },
      url: { type: 'string' },
      name: { type: 'string' },
      schema: { type: 'string' },
      out: { type: 'string', default: 'floe.config.yaml' },
      force: { type: 'boolean', default: false },
    },
  });
  const fromEnv = values['url-env'];
  const url = fromEnv === undefined ? values.url : env[fromEnv];
  if (url === undefined || url === '') {
    throw new ConfigError(fromEnv === undefined ? `floe init needs the source: ${INIT_USAGE}` : `environment variable ${fromEnv} is not set (export it with the source's URL)`);
  }
  const { engine, database } = sourceOf(url);
  const name = values.name ?? database.replace(/[^A-Za-z0-9_]/g, '_');
  const variable = fromEnv ?? `${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_URL`;
  const tables = await discoverSource({ name, engine, connection: url, maxConnections: DEFAULT_MAX_CONNECTIONS, tables: [] }, { schema: values.schema });
  const out = resolve(values.out);
  await writeFile(out, configText(name, engine, variable, configSnippet(tables) || '      []\n'), { flag: values.force ? 'w' : 'wx' }).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'EEXIST') throw new ConfigError(`${out} exists: floe init does not overwrite a config (--force does)`);
    throw error;
  });
  const configured = tables.filter((table) => cannotConfigure(table) === null).length;
  process.stdout.write(`${printable(out)}: source '${printable(name)}', ${configured} of ${tables.length} table(s) configured${fromEnv === undefined ? `; export ${variable} with the source's URL before floe run` : ''}\n`);
  return 0;
}
