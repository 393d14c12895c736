import type { CheckedColumn, ValueKind } from './canonical-sql.js';
import { keyValues } from './compare.js';

/** A key as people and programs read it: each key column by name, numbers as numbers. */
export type KeyObject = Record<string, string | number | null>;

const NUMERIC: ReadonlySet<ValueKind> = new Set(['integer', 'decimal', 'fixed decimal', 'float']);

/**
 * One value of a numeric key column as a JSON number when the number reads back as the same
 * text (so nothing is rounded: an integer past 2^53, or a decimal with more digits than a double
 * holds, stays text); any other kind as its text.
 */
function typed(text: string | null, kind: ValueKind): string | number | null {
  if (text === null || !NUMERIC.has(kind)) return text;
  const number = Number(text);
  if (!Number.isFinite(number)) return text;
  if (kind === 'integer') return Number.isSafeInteger(number) ? number : text;
  return String(number) === text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') ? number : text;
}

/**
 * A key text of floe check (compare.ts) as `{"column": value, …}` in key order, e.g.
 * `{"order_id": 1001, "line_no": 2}`: what `floe check --json`, CheckCompleted and repair reports show.
 */
export function keyObject(keyText: string, key: readonly Pick<CheckedColumn, 'name' | 'kind'>[]): KeyObject {
  const values = keyValues(keyText);
  return Object.fromEntries(key.map((column, index) => [column.name, typed(values[index] ?? null, column.kind)]));
}

/** A table's check as `floe check --json` prints it: every listed key as a {@link KeyObject}. */
export function checkAsJson(check: { key: readonly Pick<CheckedColumn, 'name' | 'kind'>[]; drift: { missing: readonly string[]; extra: readonly string[]; different: readonly string[] } | null }): object {
  const { drift } = check;
  if (drift === null) return check;
  const objects = (keys: readonly string[]): KeyObject[] => keys.map((key) => keyObject(key, check.key));
  return { ...check, drift: { ...drift, missing: objects(drift.missing), extra: objects(drift.extra), different: objects(drift.different) } };
}
