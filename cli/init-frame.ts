import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

import { parseDocument } from 'yaml';

import { ConfigError, loadConfig, type Engine, type SourceConfig } from '../config/index.js';

/**
 * What `floe init` writes around the tables it discovers: the settings before `sources:`, and the
 * source's own lines. Values are as the file will hold them: YAML values, `${VAR}` kept as written.
 */
export interface InitFrame {
  /** The source to discover, its connection resolved: never written. */
  readonly source: SourceConfig;
  readonly engine: Engine;
  /** `connection:` as the new file says it, e.g. `${SHOP_URL}`. */
  readonly connection: string;
  /** The environment variable `connection` names, when it is exactly one. */
  readonly variable: string | null;
  /** Top-level settings but `sources`, in order. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The source's settings but its name, engine, connection and tables (maxConnections, …). */
  readonly sourceSettings: Readonly<Record<string, unknown>>;
  /** Where the frame came from, for the file's first line. */
  readonly origin: string;
}

/** Settings that name a place, relative to the config file's folder (`duckdb://` relative to it too). */
const PLACES = ['raw', 'state', 'gold', 'warehouse'];

const VARIABLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * A place (raw, state, gold, warehouse) as the old file wrote it, for a new file in another folder:
 * a relative path made absolute from the old file's folder, as it meant it; a URL, an absolute path
 * or a value with `${VAR}` kept as written (the new file reads the same environment).
 */
function placeFrom(value: unknown, oldFolder: string): unknown {
  if (typeof value !== 'string' || value.includes('${')) return value;
  const duckdb = value.startsWith('duckdb://');
  const path = duckdb ? value.slice('duckdb://'.length) : value;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || isAbsolute(path) || path === ':memory:') return value;
  return `${duckdb ? 'duckdb://' : ''}${resolve(oldFolder, path)}`;
}

/**
 * The frame of an existing config's source (`--from FILE`, `--source NAME` where it has several):
 * its settings as written, so the new file reads the same environment variables and writes to the
 * same raw, state and warehouse. Paths as written when the new file is in the same folder,
 * else as the old file meant them (absolute). Throws ConfigError naming the file for an invalid
 * config or a source it does not have.
 */
export async function frameFromConfig(file: string, sourceName: string | undefined, out: string, env: NodeJS.ProcessEnv): Promise<InitFrame> {
  const config = await loadConfig(file, { env });
  const names = config.sources.map((source) => source.name);
  const source = sourceName === undefined && names.length === 1 ? config.sources[0] : config.sources.find((candidate) => candidate.name === sourceName);
  if (source === undefined) {
    throw new ConfigError(
      sourceName === undefined
        ? `${file} has ${names.length} sources (${names.join(', ')}): say which with --source`
        : `${file} has no source '${sourceName}' (it has ${names.join(', ')})`,
    );
  }
  const written = parseDocument(await readFile(file, 'utf8')).toJS() as Record<string, unknown>;
  const sameFolder = dirname(resolve(file)) === dirname(resolve(out));
  const settings = Object.fromEntries(
    Object.entries(written)
      .filter(([key]) => key !== 'sources')
      .map(([key, value]) => [key, PLACES.includes(key) && !sameFolder ? placeFrom(value, dirname(resolve(file))) : value]),
  );
  const writtenSource = (written['sources'] as Record<string, unknown>[])[config.sources.indexOf(source)] ?? {};
  const connection = String(writtenSource['connection']);
  const sourceSettings = Object.fromEntries(Object.entries(writtenSource).filter(([key]) => !['name', 'engine', 'connection', 'tables'].includes(key)));
  return {
    source, engine: source.engine, connection, variable: VARIABLE.exec(connection)?.[1] ?? null, settings, sourceSettings,
    origin: `source '${source.name}' of ${file}`,
  };
}
