import { formatKeyPath } from './key-path.js';

/** What substitution produced: the new value, the key paths whose text came from the environment, and problems. */
export interface Substitution {
  value: unknown;
  fromEnv: Set<string>;
  problems: string[];
}

const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replace `${NAME}` and `${NAME:-default}` in every string value (never in keys).
 * `$$` stands for a literal `$`. `:-` uses the default when the variable is unset
 * or empty, as in the shell. A missing variable is a problem naming the key path
 * and the variable; the values themselves are never put in a message.
 */
export function substituteEnv(root: unknown, env: NodeJS.ProcessEnv): Substitution {
  const fromEnv = new Set<string>();
  const problems: string[] = [];

  const replaceIn = (text: string, path: PropertyKey[]): string => {
    let used = false;
    const result = text.replace(REFERENCE, (match: string, inner: string | undefined) => {
      if (match === '$$') return '$';
      const parsed = NAME_AND_DEFAULT.exec(inner ?? '');
      const name = parsed?.[1];
      if (parsed === null || name === undefined) {
        problems.push(`${formatKeyPath(path)}: '\${${inner ?? ''}}' is not a variable reference (expected \${NAME} or \${NAME:-default})`);
        return match;
      }
      used = true;
      const value = env[name];
      const fallback = parsed[2];
      if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
      if (value === undefined) {
        problems.push(`${formatKeyPath(path)}: environment variable ${name} is not set (or write \${${name}:-default})`);
        return '';
      }
      return value;
    });
    if (used) fromEnv.add(formatKeyPath(path));
    return result;
  };

  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === 'string') return replaceIn(value, path);
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  };

  return { value: walk(root, []), fromEnv, problems };
}
