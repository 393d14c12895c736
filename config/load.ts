import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { substituteEnv } from './env.js';
import { ConfigError } from './errors.js';
import { describeConfigIssues } from './issues.js';
import { FloeConfigSchema, type FloeConfig } from './schema.js';

export interface LoadConfigOptions {
  /** Where `${NAME}` values come from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * For commands that never connect to a source (status, logs, push): a connection whose
   * environment variables are not set is not read. One that can be read is checked all the same,
   * so `floe push` refuses a URL the extraction job would refuse.
   */
  ignoreConnections?: boolean;
}

/**
 * Read, substitute, validate and resolve `floe.config.yaml`.
 *
 * Guarantees: every key is known, defaults are filled, cross-checks pass, and
 * `raw`, `state`, `gold` and a `duckdb://` file are absolute paths (relative ones
 * are taken from the config file's folder, not the working directory). Throws
 * {@link ConfigError} naming the file and key path; secrets are never quoted.
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<FloeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${path}: cannot read the config file (${code})`, { cause: error, file: path });
  }
  return parseConfig(text, {
    file: path,
    folder: dirname(resolve(path)),
    env: options.env ?? process.env,
    ignoreConnections: options.ignoreConnections ?? false,
  });
}

/** Connections whose variables are not all set become a valid connection for the source's engine that nothing will use. */
function withoutConnections(root: unknown, env: NodeJS.ProcessEnv): unknown {
  if (root === null || typeof root !== 'object' || !('sources' in root) || !Array.isArray(root.sources)) return root;
  const unreadable = (connection: unknown): boolean => substituteEnv(connection, env).problems.length > 0;
  const sources = root.sources.map((source: unknown) =>
    source !== null && typeof source === 'object' && 'connection' in source && unreadable(source.connection)
      ? { ...source, connection: 'engine' in source && source.engine === 'mysql' ? 'mysql://unused@localhost/unused' : 'postgresql://unused@localhost/unused' }
      : source,
  );
  return { ...root, sources };
}

/** {@link loadConfig} on text already read; `file` is only used in messages. */
export function parseConfig(
  text: string,
  options: { file: string; folder: string; env: NodeJS.ProcessEnv; ignoreConnections?: boolean },
): FloeConfig {
  const { file, folder, env } = options;
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) {
    const position = syntaxError.linePos?.[0];
    const where = position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
    // The pretty message quotes the offending lines after "at line L, column C:"; keep only the reason.
    const reason = syntaxError.message.split(' at line ')[0] ?? syntaxError.message;
    throw new ConfigError(`${file}: YAML syntax error${where}: ${reason}`, { cause: syntaxError, file, problems: [`YAML syntax error${where}: ${reason}`] });
  }

  const tree: unknown = document.toJS() ?? {};
  const substituted = substituteEnv(options.ignoreConnections ? withoutConnections(tree, env) : tree, env);
  if (substituted.problems.length > 0) throw ConfigError.fromProblems(file, substituted.problems);

  const parsed = FloeConfigSchema.safeParse(substituted.value);
  if (!parsed.success) throw ConfigError.fromProblems(file, describeConfigIssues(parsed.error.issues, substituted.value, substituted.fromEnv));

  const literalSecrets = parsed.data.sources.flatMap((source, index) =>
    !substituted.fromEnv.has(`sources[${index}].connection`) && hasPassword(source.connection)
      ? [`sources[${index}].connection: contains a password; put the URL in an environment variable and write \${VARIABLE} here`]
      : [],
  );
  if (literalSecrets.length > 0) throw ConfigError.fromProblems(file, literalSecrets);

  return resolvePaths(parsed.data, folder);
}

function hasPassword(connection: string): boolean {
  try {
    return new URL(connection).password !== '';
  } catch {
    return false;
  }
}

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function resolvePaths(config: FloeConfig, folder: string): FloeConfig {
  const local = (value: string): string => (HAS_SCHEME.test(value) || value === 'dynamodb' ? value : resolve(folder, value));
  const duckdbFile = /^duckdb:\/\/(.*)$/.exec(config.warehouse)?.[1];
  const warehouse =
    duckdbFile === undefined || duckdbFile === ':memory:' || isAbsolute(duckdbFile) ? config.warehouse : `duckdb://${resolve(folder, duckdbFile)}`;
  return { ...config, raw: local(config.raw), state: local(config.state), gold: resolve(folder, config.gold), warehouse };
}
