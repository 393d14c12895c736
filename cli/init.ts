import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

import { ConfigError, DEFAULT_MAX_CONNECTIONS, printable, type Engine } from '../config/index.js';
import { cannotConfigure, configSnippet, scalar } from '../discover/config-snippet.js';
import { discoverSource } from '../discover/discover-source.js';
import { frameFromConfig, type InitFrame } from './init-frame.js';
import { USAGE } from './usage.js';

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

/** The settings of a new project: everything local, under ./.floe. */
const DEFAULT_SETTINGS = { raw: './.floe/raw', state: './.floe/state', warehouse: 'duckdb://./.floe/warehouse.duckdb', gold: './sql/gold' };

/** What each setting is, beside it in the file. */
const COMMENTS: Readonly<Record<string, string>> = {
  raw: '# raw Parquet files, manifests and job logs (s3://bucket/prefix when deployed)',
  state: '# runs, watermarks, leases (dynamodb://<stack> when deployed)',
  warehouse: '# or snowflake://<account>/<database>?user=…&warehouse=…&role=…',
  gold: '# your gold models: one SELECT per file',
};

/** `key: value` lines, a known setting's comment beside it; values as YAML writes them (`${VAR}` kept). */
function yamlLines(settings: Readonly<Record<string, unknown>>, indent: string): string {
  return Object.entries(settings)
    .map(([key, value]) => {
      const line = stringify({ [key]: value }, { lineWidth: 0 }).trimEnd().replaceAll('\n', `\n${indent}`);
      const comment = indent === '' ? COMMENTS[key] : undefined;
      return `${indent}${comment === undefined || line.includes('\n') ? line : `${line.padEnd(Math.max(30, line.length + 3))}${comment}`}`;
    })
    .join('\n');
}

/** The config file: every setting floe needs, each commented, the source's tables from discovery. */
function configText(frame: InitFrame, tables: string): string {
  const { source, engine } = frame;
  const where = frame.variable === null ? '' : `    # The URL comes from the environment, never from this file: export ${frame.variable}=…\n`;
  const extras = Object.keys(frame.sourceSettings).length === 0 ? '' : `${yamlLines(frame.sourceSettings, '    ')}\n`;
  return `# floe.config.yaml, written by floe init from ${frame.origin}. The full reference:
# README, "Configuration reference". Run: npx floe run   (then: npx floe status, npx floe report)

${yamlLines(frame.settings, '')}

sources:
  - name: ${scalar(source.name)}
    engine: ${engine}
${where}    connection: ${stringify(frame.connection).trimEnd()}
${extras}    tables:
${tables}`;
}

/** The frame of a source given by its URL, read from `urlEnv` or given as it is: a project of its own, under ./.floe. */
function frameFromUrl(url: string, urlEnv: string | undefined, name: string | undefined): InitFrame {
  const { engine, database } = sourceOf(url);
  const sourceName = name ?? database.replace(/[^A-Za-z0-9_]/g, '_');
  const variable = urlEnv ?? `${sourceName.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_URL`;
  return {
    source: { name: sourceName, engine, connection: url, maxConnections: DEFAULT_MAX_CONNECTIONS, tables: [] },
    engine, connection: `\${${variable}}`, variable, settings: DEFAULT_SETTINGS, sourceSettings: {}, origin: `${engine} source '${sourceName}'`,
  };
}

/**
 * Writes a complete, commented floe.config.yaml for one source, from its catalog: every base
 * table with its key, the column to read it incrementally by (and why), parallel reads for big
 * ones; a table without a key in `append` or `full` mode, saying why. It asks for nothing it can
 * find out: the engine and the source's name come from the URL, which it reads from an environment
 * variable (a URL on the command line shows in `ps`) and never writes into the file. Or the source
 * is an existing config's (`--from FILE`): its settings, connection and warehouse are kept as
 * written, and its tables are discovered anew.
 */
export async function initCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'url-env': { type: 'string' },
      url: { type: 'string' },
      from: { type: 'string' },
      source: { type: 'string' },
      name: { type: 'string' },
      schema: { type: 'string' },
      out: { type: 'string', default: 'floe.config.yaml' },
      force: { type: 'boolean', default: false },
    },
  });
  const out = resolve(values.out);
  const frame = values.from === undefined ? frameFromUrl(urlOf(values, env), values['url-env'], values.name) : await frameFromConfig(values.from, values.source, out, env);
  const tables = await discoverSource({ ...frame.source, tables: [] }, { schema: values.schema });
  await writeFile(out, configText(frame, configSnippet(tables) || '      []\n'), { flag: values.force ? 'w' : 'wx' }).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'EEXIST') throw new ConfigError(`${out} exists: floe init does not overwrite a config (--force does)`);
    throw error;
  });
  const configured = tables.filter((table) => cannotConfigure(table) === null).length;
  const exported = values.from === undefined && values['url-env'] === undefined ? `; export ${frame.variable ?? ''} with the source's URL before floe run` : '';
  process.stdout.write(`${printable(out)}: source '${printable(frame.source.name)}', ${configured} of ${tables.length} table(s) configured${exported}\n`);
  return 0;
}

/** The source's URL: from the variable `--url-env` names, or `--url`. */
function urlOf(values: { 'url-env'?: string | undefined; url?: string | undefined }, env: NodeJS.ProcessEnv): string {
  const fromEnv = values['url-env'];
  const url = fromEnv === undefined ? values.url : env[fromEnv];
  if (url === undefined || url === '') {
    throw new ConfigError(fromEnv === undefined ? `floe init needs the source: ${USAGE.init}` : `environment variable ${fromEnv} is not set (export it with the source's URL)`);
  }
  return url;
}
