import type { z } from 'zod';
import { formatKeyPath, valueAt } from './key-path.js';
import { RetrySettingsSchema } from './retry.js';
import { ConfigObjectSchema, SourceObjectSchema, TableObjectSchema } from './schema.js';

/** Keys allowed at each level of the file, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return Object.keys(ConfigObjectSchema.shape);
  if (path.length === 2 && path[0] === 'sources') return Object.keys(SourceObjectSchema.shape);
  if (path.length === 4 && path[2] === 'tables') return Object.keys(TableObjectSchema.shape);
  if (path.at(-1) === 'retry') return Object.keys(RetrySettingsSchema.shape);
  return [];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known key a typo most likely meant: same letters in another case, or at most two edits away. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const sameCase = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (sameCase !== undefined) return sameCase;
  const ranked = known
    .map((candidate) => ({ candidate, distance: editDistance(key.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ distance }) => distance <= 2 && distance < key.length / 2)
    .sort((a, b) => a.distance - b.distance);
  return ranked[0]?.candidate;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return typeof value;
}

/**
 * Turn zod issues into `keyPath: what was expected` lines. Values are quoted only
 * when they are short, literal in the file (not from `${ENV}`) and not a connection.
 */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[], data: unknown, fromEnv: ReadonlySet<string>): string[] {
  const quotable = (path: readonly PropertyKey[]): string | undefined => {
    const value = valueAt(data, path);
    const key = formatKeyPath(path);
    if (fromEnv.has(key) || path[path.length - 1] === 'connection') return undefined;
    if ((typeof value === 'string' && value.length <= 40) || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
    return undefined;
  };
  const suggested = new Set<string>();
  const problems: Array<{ key: string; text: string }> = [];
  for (const issue of issues) {
    const key = formatKeyPath(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const unknownKey of issue.keys) {
          const suggestion = suggestKey(unknownKey, knownKeysAt(issue.path));
          if (suggestion !== undefined) suggested.add(formatKeyPath([...issue.path, suggestion]));
          const hint = suggestion === undefined ? ` (expected one of: ${knownKeysAt(issue.path).join(', ')})` : ` (did you mean ${suggestion}?)`;
          problems.push({ key, text: `${key}: unknown key '${unknownKey}'${hint}` });
        }
        break;
      case 'invalid_type': {
        const value = valueAt(data, issue.path);
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        const text = value === undefined ? `${key}: required (${expected})` : `${key}: expected ${expected}, got ${describeValue(value)}`;
        problems.push({ key, text });
        break;
      }
      case 'invalid_value': {
        const got = quotable(issue.path);
        problems.push({ key, text: `${key}: expected one of ${issue.values.map(String).join(', ')}${got === undefined ? '' : `, got ${got}`}` });
        break;
      }
      case 'too_small':
        if (issue.origin === 'array') problems.push({ key, text: `${key}: must not be empty` });
        else if (issue.origin === 'string') problems.push({ key, text: `${key}: must not be empty` });
        else problems.push({ key, text: `${key}: must be at least ${String(issue.minimum)}` });
        break;
      case 'too_big':
        problems.push({ key, text: `${key}: must be at most ${String(issue.maximum)}` });
        break;
      default:
        problems.push({ key, text: `${key}: ${issue.message}` });
    }
  }
  // "unknown key 'primarykey' (did you mean primaryKey?)" already says primaryKey is missing, and
  // what its absence means (a table without a key cannot run incrementally) follows from that.
  return problems.filter(({ key }) => !suggested.has(key)).map(({ text }) => text);
}
